-- Export jobs of closed dossiers (移交导出): progress while the pg-boss job runs and where the
-- package was written. Operational state, not a read model: the outcome itself is an event
-- (DossierExported / DossierExportFailed on dossier-<fonds>.<year>).
CREATE TABLE dossier_exports (
  export_id      text PRIMARY KEY,
  fonds          text NOT NULL,
  year           int  NOT NULL,
  profile        text NOT NULL,
  requested_by   text NOT NULL,
  status         text NOT NULL CHECK (status IN ('requested', 'running', 'exported', 'failed')),
  items_done     int  NOT NULL DEFAULT 0,
  items_total    int  NOT NULL DEFAULT 0,
  file           text,
  package_bytes  bigint,
  package_sha256 text,
  package_sm3    text,
  error          text,
  requested_at   timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dossier_exports_dossier ON dossier_exports (fonds, year, requested_at);
