/** Whether an MQTT topic matches a subscription filter with `+` and `#` wildcards (no `$share/` prefix). */
export function topicMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  // Filters starting with a wildcard never match `$SYS`-like topics [MQTT-4.7.2-1].
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
