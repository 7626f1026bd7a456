// Schema migrations, applied in order inside one transaction each; PRAGMA user_version records the
// last one applied. Never edit a shipped migration: add a new one.

export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE module_state (
     module TEXT PRIMARY KEY, state TEXT NOT NULL, qualifier TEXT NOT NULL, updated_at INTEGER NOT NULL);
   CREATE TABLE mirror_data (
     module TEXT PRIMARY KEY, data TEXT NOT NULL, updated_at INTEGER NOT NULL);
   CREATE TABLE resource (
     module TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, updated_at INTEGER NOT NULL, by TEXT NOT NULL,
     PRIMARY KEY (module, name));
   CREATE TABLE resource_history (
     id INTEGER PRIMARY KEY, module TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, at INTEGER NOT NULL, by TEXT NOT NULL);
   CREATE INDEX resource_history_by_name ON resource_history (module, name, id);
   CREATE TABLE module_log (
     id INTEGER PRIMARY KEY, module TEXT NOT NULL, at_us INTEGER NOT NULL, component TEXT NOT NULL,
     level TEXT NOT NULL CHECK (level IN ('U','E','C','S','I','D')), text TEXT NOT NULL);
   CREATE INDEX module_log_by_module ON module_log (module, id);
   CREATE TABLE command_log (
     id INTEGER PRIMARY KEY, at_us INTEGER NOT NULL, type TEXT NOT NULL, module TEXT NOT NULL DEFAULT '',
     pid INTEGER NOT NULL, phase TEXT NOT NULL CHECK (phase IN ('START','END','I')), text TEXT NOT NULL);`,
  // 2: node-level facts kept across restarts (the daemon's incarnation counter)
  `CREATE TABLE node_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // 3: installed modules and their ids (equal on every node: SAFEKIT-BEHAVIOUR §8.5)
  `CREATE TABLE module_catalog (name TEXT PRIMARY KEY, id INTEGER NOT NULL UNIQUE, installed_at INTEGER NOT NULL);`,
];
