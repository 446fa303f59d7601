-- A reminder database at schema version 5 (before the keyed evidence chain), written by
-- reminder at commit d314209 with 'evidence add': case lgcy23 has three entries hashed with plain
-- SHA-256, the second with the attachment 'legacy letter: we received your request\n'; case empty2
-- has none. tests/test_evidence_integrity.py loads it to check that such logs still verify.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE cases (
            id             TEXT PRIMARY KEY,
            title          TEXT NOT NULL,
            organisation   TEXT NOT NULL,
            kind           TEXT NOT NULL DEFAULT 'other',
            filed          TEXT,
            reference      TEXT,
            channels       TEXT NOT NULL DEFAULT '[]',   -- JSON list of strings
            country        TEXT NOT NULL,
            subdivision    TEXT,
            timezone       TEXT NOT NULL,
            submitted      TEXT NOT NULL,                -- ISO date
            submitted_time TEXT,                         -- ISO time, optional
            min_days       INTEGER NOT NULL,
            max_days       INTEGER NOT NULL,
            unit           TEXT NOT NULL DEFAULT 'business',
            status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
            resolution     TEXT,
            closed_at      TEXT,                         -- ISO datetime, UTC
            created_at     TEXT NOT NULL,
            updated_at     TEXT NOT NULL,
            notes          TEXT,
            preset         TEXT,
            remind         TEXT NOT NULL DEFAULT '{}',   -- JSON object: per-case policy overrides
            closures       TEXT NOT NULL DEFAULT '[]',   -- JSON list of the case's own closures
            opens          TEXT,                         -- the window, as last computed
            deadline       TEXT,
            tentative      INTEGER NOT NULL DEFAULT 0,
            window_extra   TEXT NOT NULL DEFAULT '{}'    -- JSON: tentative_because, versions, warnings
        , doc_head TEXT, doc_tail TEXT);
INSERT INTO cases VALUES('lgcy23','Cancel roaming eSIM','Batelco','other',NULL,NULL,'[]','BH',NULL,'Asia/Bahrain','2026-03-01',NULL,7,15,'business','open',NULL,NULL,'2026-03-05T10:30:00+00:00','2026-03-05T10:30:00+00:00',NULL,NULL,'{}','[]',NULL,NULL,0,'{}','{"id":"lgcy23","title":"Cancel roaming eSIM","organisation":"Batelco","kind":"other","filed":null,"reference":null,"channels":[],"country":"BH","subdivision":null,"timezone":"Asia/Bahrain","submitted":"2026-03-01","submitted_time":null,"min_days":7,"max_days":15,"unit":"business","status":"open","resolution":null,"closed_at":null,"created_at":"2026-03-05T10:30:00+00:00","updated_at":"2026-03-05T10:30:00+00:00","notes":null,"preset":null,"remind":{},"closures":[],"checklist":[],"window":null}',NULL);
INSERT INTO cases VALUES('empty2','Nothing logged','Batelco','other',NULL,NULL,'[]','BH',NULL,'Asia/Bahrain','2026-03-01',NULL,7,15,'business','open',NULL,NULL,'2026-03-05T10:30:00+00:00','2026-03-05T10:30:00+00:00',NULL,NULL,'{}','[]',NULL,NULL,0,'{}','{"id":"empty2","title":"Nothing logged","organisation":"Batelco","kind":"other","filed":null,"reference":null,"channels":[],"country":"BH","subdivision":null,"timezone":"Asia/Bahrain","submitted":"2026-03-01","submitted_time":null,"min_days":7,"max_days":15,"unit":"business","status":"open","resolution":null,"closed_at":null,"created_at":"2026-03-05T10:30:00+00:00","updated_at":"2026-03-05T10:30:00+00:00","notes":null,"preset":null,"remind":{},"closures":[],"checklist":[],"window":null}',NULL);
CREATE TABLE checklist_items (
            case_id  TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            text     TEXT NOT NULL,
            done     INTEGER NOT NULL DEFAULT 0,
            done_at  TEXT,
            PRIMARY KEY (case_id, position)
        );
CREATE TABLE deliveries (
            id              INTEGER PRIMARY KEY,
            case_id         TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
            key             TEXT NOT NULL,                -- <case>:<kind>:<n>, stable across re-plans
            kind            TEXT NOT NULL,
            notifier        TEXT NOT NULL,
            due             TEXT NOT NULL,                -- ISO datetime in the case's timezone
            due_ts          REAL NOT NULL,                -- the same instant, epoch seconds, for ordering
            status          TEXT NOT NULL DEFAULT 'planned'
                            CHECK (status IN ('planned', 'sending', 'sent', 'failed', 'cancelled')),
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_ts REAL,                         -- retry time after a failure (epoch seconds)
            wake_ts         REAL NOT NULL,                -- when the row is next actionable: due_ts,
                                                          -- or next_attempt_ts after a failure
            last_error      TEXT,
            sent_at         TEXT,
            note            TEXT,
            updated_at      TEXT NOT NULL,
            UNIQUE (key, notifier)
        );
CREATE TABLE evidence (
            case_id     TEXT    NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
            seq         INTEGER NOT NULL CHECK (seq >= 1),
            kind        TEXT    NOT NULL,
            summary     TEXT    NOT NULL,
            at          TEXT    NOT NULL,
            recorded_at TEXT    NOT NULL,
            attachments TEXT    NOT NULL DEFAULT '[]',  -- JSON list of {sha256, name, size}
            corrects    INTEGER,
            prev_hash   TEXT    NOT NULL,
            hash        TEXT    NOT NULL,
            PRIMARY KEY (case_id, seq)
        );
INSERT INTO evidence VALUES('lgcy23',1,'call','Called 196, ref 77','2026-03-05T10:30:00+00:00','2026-03-05T10:30:00+00:00','[]',NULL,'','b328f49ea012b106f6fe7c9dcb3bfeebacc9cb7a0279dcb011c0e11372ed6bd9');
INSERT INTO evidence VALUES('lgcy23',2,'letter','Their letter','2026-03-05T11:30:00+00:00','2026-03-05T11:30:00+00:00','[{"sha256": "9451f2fb1a838c7e44e641ef76bad9f5ce80620bb2621a12fb7545838f4832a1", "name": "letter.txt", "size": 40}]',NULL,'b328f49ea012b106f6fe7c9dcb3bfeebacc9cb7a0279dcb011c0e11372ed6bd9','12d05493146d33899d54bdfa1b0de4e909ef502e1eb595b0c05636515ad7bfc2');
INSERT INTO evidence VALUES('lgcy23',3,'note','It was ref 78','2026-03-05T12:30:00+00:00','2026-03-05T12:30:00+00:00','[]',1,'12d05493146d33899d54bdfa1b0de4e909ef502e1eb595b0c05636515ad7bfc2','5cd6bc5f08e7e02c4a2b19fb0a1380dc9c17ec4c5adbdd346d72e849f32b80ec');
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES('case_doc_shape','{"id":"x","title":"x","organisation":"x","kind":"other","filed":null,"reference":null,"channels":[],"country":"x","subdivision":null,"timezone":"UTC","submitted":"2000-01-01","submitted_time":null,"min_days":7,"max_days":15,"unit":"business","status":"open","resolution":null,"closed_at":null,"created_at":null,"updated_at":null,"notes":null,"preset":null,"remind":{},"closures":[{"start":"2000-01-01","end":"2000-01-01","label":"x"}],"checklist":[{"position":1,"text":"x","done":false,"done_at":null}],"window":{"opens":"2000-01-01","deadline":"2000-01-01","tentative":false,"tentative_because":[{"date":"2000-01-01","name":"x"}],"days_left":,"min_days":0,"max_days":0,"unit":"business","holidays_version":"","warnings":[]}}');
INSERT INTO meta VALUES('case_doc_code','0.1.0-16ef.18ed05c4efacc758-b30.18ed05c4efacc758-94a6.18ed05c4efb602ad');
CREATE INDEX cases_status_deadline ON cases (status, deadline);
CREATE INDEX deliveries_active ON deliveries (status, wake_ts);
CREATE INDEX deliveries_case ON deliveries (case_id);
CREATE TRIGGER evidence_append_only_update BEFORE UPDATE ON evidence BEGIN SELECT RAISE(ABORT, 'the evidence log is append-only'); END;
CREATE TRIGGER evidence_append_only_delete BEFORE DELETE ON evidence BEGIN SELECT RAISE(ABORT, 'the evidence log is append-only'); END;
CREATE INDEX cases_by_status_deadline ON cases (status, deadline, id);
CREATE INDEX cases_by_deadline ON cases (deadline, id);
CREATE INDEX cases_by_timezone ON cases (timezone);
COMMIT;
PRAGMA user_version=5;
