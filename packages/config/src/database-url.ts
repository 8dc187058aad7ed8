import path from 'node:path';

export type DatabaseTarget =
  | { readonly dialect: 'sqlite'; readonly path: string; readonly url: string }
  | { readonly dialect: 'postgresql'; readonly url: string; readonly database: string };

/** The SQLite file used when DATABASE_URL is unset, inside the data directory (TANDEM_DATA_DIR). */
export const DEFAULT_SQLITE_FILE = 'tandem.sqlite3';

/** DATABASE_URL's default with the default TANDEM_DATA_DIR (`.data`). */
export const DEFAULT_DATABASE_URL = `sqlite:.data/${DEFAULT_SQLITE_FILE}`;

/**
 * The database when DATABASE_URL is unset: `<dataDir>/tandem.sqlite3`, beside the secret key, so
 * TANDEM_DATA_DIR moves both (relative directories resolve against `cwd`).
 */
export function defaultDatabaseTarget(dataDir: string, cwd: string = process.cwd()): DatabaseTarget {
  const resolved = path.resolve(cwd, dataDir, DEFAULT_SQLITE_FILE);
  return { dialect: 'sqlite', path: resolved, url: `sqlite:${resolved}` };
}

/**
 * `sqlite:<path>` (relative paths resolve against `cwd`; `sqlite:///abs/path` is `sqlite:/abs/path`)
 * or `postgres[ql]://user@host:port/db`.
 * Throws a plain Error whose message the config loader prefixes with the variable name.
 */
export function parseDatabaseUrl(raw: string, cwd: string = process.cwd()): DatabaseTarget {
  if (raw.startsWith('sqlite:')) {
    // `sqlite://data.db` (SQLAlchemy's relative spelling has three slashes) would resolve to /data.db,
    // a path nobody meant; a host before the path means nothing to SQLite, so it is refused.
    const host = /^sqlite:\/\/([^/]+)/.exec(raw)?.[1];
    if (host !== undefined) {
      const rest = raw.slice('sqlite://'.length);
      throw new Error(
        `${JSON.stringify(raw)} names a host (${JSON.stringify(host)}), which SQLite has no use for: write ` +
          `sqlite:${rest} for a path relative to the working directory, or sqlite:/absolute/path/${rest} ` +
          `(also sqlite:///absolute/path/${rest})`,
      );
    }
    const file = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') throw new Error('sqlite: URL needs a file path, e.g. sqlite:.data/tandem.sqlite3');
    if (file === ':memory:') throw new Error('an in-memory SQLite database cannot be shared by the services');
    const resolved = path.resolve(cwd, file);
    return { dialect: 'sqlite', path: resolved, url: `sqlite:${resolved}` };
  }
  if (raw.startsWith('postgres://') || raw.startsWith('postgresql://')) {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new Error('is not a valid URL');
    }
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    if (database === '')
      throw new Error('postgres URL needs a database name, e.g. postgres://postgres@127.0.0.1:5432/tandem');
    return { dialect: 'postgresql', url: raw, database };
  }
  throw new Error('must start with sqlite: or postgres:// (e.g. sqlite:.data/tandem.sqlite3)');
}

/** The same URL with the password hidden, for logs and start-up banners. */
export function redactDatabaseUrl(target: DatabaseTarget): string {
  if (target.dialect === 'sqlite') return target.url;
  const parsed = new URL(target.url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
