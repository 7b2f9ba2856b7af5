import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError, EXIT, UsageError } from './io';
import { configPath, normalizeUrl, readSavedLogin, resolveTarget, saveLogin } from './settings';

const dir = mkdtempSync(join(tmpdir(), 'edgefleet-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CLI settings', () => {
  it('finds the config file: EDGEFLEET_CONFIG, then XDG_CONFIG_HOME, then ~/.config', () => {
    expect(configPath({ EDGEFLEET_CONFIG: '/a/c.json', XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe(
      '/a/c.json',
    );
    expect(configPath({ XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe('/x/edgefleet/config.json');
    expect(configPath({ HOME: '/h' })).toBe('/h/.config/edgefleet/config.json');
  });

  it('saves 0600 (also over a 0644 file) and reads back; refuses malformed, oversized and odd files', async () => {
    const path = join(dir, 'new/edgefleet/config.json');
    await saveLogin(path, { url: 'http://a:1', token: 't1' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'new/edgefleet')).mode & 0o777).toBe(0o700);
    chmodSync(path, 0o644);
    await saveLogin(path, { url: 'http://a:1', token: 't2' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await readSavedLogin(path)).toEqual({ url: 'http://a:1', token: 't2' });
    expect(await readSavedLogin(join(dir, 'missing.json'))).toBeNull();

    const bad = (name: string, content: string) => {
      writeFileSync(join(dir, name), content);
      return readSavedLogin(join(dir, name));
    };
    await expect(bad('array.json', '[]')).rejects.toThrow(UsageError);
    await expect(bad('shape.json', '{"url": 1, "token": "x"}')).rejects.toThrow(
      'expected { "url": "…", "token": "…" }',
    );
    await expect(bad('empty-token.json', '{"url": "http://a", "token": ""}')).rejects.toThrow(UsageError);
    await expect(bad('huge.json', `{"url": "${'x'.repeat(70_000)}"}`)).rejects.toThrow('too large');
    await expect(bad('text.json', 'url=http://a')).rejects.toThrow('is not JSON');
    mkdirSync(join(dir, 'a-dir.json'));
    await expect(readSavedLogin(join(dir, 'a-dir.json'))).rejects.toThrow('cannot read config file');
  });

  it('resolves flags > env > saved login > default, and sends the saved token only to its own URL', async () => {
    const config = join(dir, 'resolve.json');
    await saveLogin(config, { url: 'http://saved:8080/', token: 'saved-token' });
    const env = { EDGEFLEET_CONFIG: config };
    expect(await resolveTarget({}, env)).toEqual({ url: 'http://saved:8080', token: 'saved-token' });
    expect(await resolveTarget({ url: 'http://saved:8080' }, env)).toEqual({
      url: 'http://saved:8080',
      token: 'saved-token',
    });
    expect(
      await resolveTarget({}, { ...env, EDGEFLEET_URL: 'http://env:1', EDGEFLEET_ADMIN_TOKEN: 'env-token' }),
    ).toEqual({
      url: 'http://env:1',
      token: 'env-token',
    });
    expect(
      await resolveTarget(
        { url: 'http://flag:2', token: 'flag-token' },
        { ...env, EDGEFLEET_URL: 'http://env:1' },
      ),
    ).toEqual({
      url: 'http://flag:2',
      token: 'flag-token',
    });
    const elsewhere = await resolveTarget({ url: 'http://evil.example' }, env).catch((e: unknown) => e);
    expect(elsewhere).toBeInstanceOf(CliError);
    expect((elsewhere as CliError).exitCode).toBe(EXIT.unreachable);
    const none = await resolveTarget({}, { EDGEFLEET_CONFIG: join(dir, 'none.json') }).catch(
      (e: unknown) => e,
    );
    expect((none as CliError).message).toContain('no admin token for http://127.0.0.1:8080');
  });

  it('accepts only plain http(s) URLs', () => {
    expect(normalizeUrl('http://h:8080/prefix//', '--url')).toBe('http://h:8080/prefix');
    expect(normalizeUrl('HTTPS://Fleet.Example', '--url')).toBe('https://fleet.example');
    for (const hostile of [
      '',
      'fleet:8080',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'http://u:p@h',
      'http://h/?q=1',
      'http://h/#x',
    ]) {
      expect(() => normalizeUrl(hostile, '--url'), hostile).toThrow(UsageError);
    }
  });
});
