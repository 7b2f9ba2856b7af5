import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Admin bearer tokens, stored as sha256 hex; the token itself is shown once. */
export const adminTokens = sqliteTable('admin_tokens', {
  id: text('id').primaryKey(),
  tokenHash: text('token_hash').notNull().unique(),
  label: text('label').notNull(),
  createdAt: integer('created_at').notNull(),
  revokedAt: integer('revoked_at'),
});

/** Fleet-wide key/value facts written at bootstrap (public signing key, key id, schema notes). */
export const fleetSettings = sqliteTable('fleet_settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: integer('updated_at').notNull(),
});
