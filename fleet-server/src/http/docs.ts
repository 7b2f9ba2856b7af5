/** Minimal view of an OpenAPI document: what the docs page renders. */
interface OpenApiLike {
  info: { title: string; version: string; description?: string };
  paths?: object;
}

interface OperationLike {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, unknown>[];
  parameters?: { name: string; in: string; required?: boolean; description?: string }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string }>;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function renderOperation(method: string, path: string, op: OperationLike): string {
  const auth = op.security?.length ? op.security.map((s) => Object.keys(s).join('+')).join(' or ') : 'none';
  const params = (op.parameters ?? [])
    .map((p) => `<li><code>${escapeHtml(p.name)}</code> (${p.in}${p.required ? ', required' : ''})</li>`)
    .join('');
  const body = op.requestBody?.content
    ? Object.entries(op.requestBody.content)
        .map(
          ([type, media]) =>
            `<details><summary>body: ${escapeHtml(type)}</summary><pre>${escapeHtml(
              JSON.stringify(media.schema ?? {}, null, 2),
            )}</pre></details>`,
        )
        .join('')
    : '';
  const responses = Object.entries(op.responses ?? {})
    .map(([status, r]) => `<li><b>${status}</b> ${escapeHtml(r.description ?? '')}</li>`)
    .join('');
  return `<section><h3><span class="m">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>
<p>${escapeHtml(op.summary ?? '')} <small>auth: ${escapeHtml(auth)}</small></p>
${op.description ? `<p>${escapeHtml(op.description)}</p>` : ''}
${params ? `<ul>${params}</ul>` : ''}${body}<ul>${responses}</ul></section>`;
}

/** A self-contained HTML page (no CDN, works offline) listing every route of the OpenAPI document. */
export function renderDocsPage(doc: OpenApiLike): string {
  const sections = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item ?? {}).map(([method, op]) => renderOperation(method, path, op as OperationLike)),
  );
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)}</title>
<style>body{font:14px system-ui;max-width:60rem;margin:2rem auto;padding:0 1rem}section{border-top:1px solid #ddd}
.m{font-family:monospace;background:#eef;padding:0 .3rem}pre{background:#f6f6f6;padding:.5rem;overflow:auto}</style>
</head><body><h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
<p>${escapeHtml(doc.info.description ?? '')} Machine-readable: <a href="/openapi.json">/openapi.json</a>.</p>
${sections.join('\n')}</body></html>`;
}
