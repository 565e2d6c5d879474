import Foundation

/// The PostgreSQL schema as named, append-only migrations, the same names in the same order as
/// the SQLite schema (`DoseStoreSchema.migrationNames`), each one SQL script run in the
/// transaction that records its name in `vaxticket_migrations`.
enum PostgresSchema {
    /// Every migration, in order.
    static let migrations: [(name: String, sql: String)] = [
        ("v1 roster", roster),
        ("v1 dose", dose),
        ("v1 scan log", scanLog),
        ("v1 tallies", tallies),
        ("v2 hardening", hardening),
        ("v2 sync", sync),
        ("v2 officers", officers),
        ("v2 merge origins", mergeOrigins),
        ("v3 sync tally", syncTally),
        ("v4 queued scans", queuedScans),
    ]

    /// The statements of a migration script: split at semicolons outside `$$` bodies and `--`
    /// comments, since
    /// the extended query protocol runs one statement at a time.
    static func statements(_ script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var insideBody = false
        var previous: Character = " "
        var insideComment = false
        for character in script {
            if character == "$" && previous == "$" && !insideComment { insideBody.toggle() }
            if character == "-" && previous == "-" && !insideBody { insideComment = true }
            if character.isNewline { insideComment = false }
            if character == ";" && !insideBody && !insideComment {
                statements.append(current)
                current = ""
            } else {
                current.append(character)
            }
            previous = character == "$" && previous == "$" ? " " : character
        }
        statements.append(current)
        return statements.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter {
            !$0.isEmpty
        }
    }

    /// The advisory lock key that serialises migrations between processes.
    static let migrationLock: Int64 = 0x7661_7874_6963_6b74

    static let migrationsTable = """
        CREATE TABLE IF NOT EXISTS vaxticket_migrations (
            position BIGINT GENERATED ALWAYS AS IDENTITY,
            identifier TEXT PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
        )
        """

    private static let day = "'^[0-9]{4}-[0-1][0-9]-[0-3][0-9]$'"

    /// Settings fixed when the database is made (the programme's time zone), and the station's
    /// real clock beside the claimed administration time. TIMESTAMPTZ columns already refuse
    /// what is not a timestamp, which SQLite needs triggers for.
    private static let hardening = """
        CREATE TABLE programme_setting (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        ALTER TABLE scan_log ADD COLUMN clock_time TIMESTAMPTZ;
        """

    /// The scanning server's officers: only a SHA-256 of each token is kept.
    private static let officers = """
        CREATE TABLE officer (
            name TEXT PRIMARY KEY CHECK (name <> '' AND length(name) <= 64),
            site TEXT CHECK (site <> '' AND length(site) <= 64),
            token_hash TEXT NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
            created_at TIMESTAMPTZ NOT NULL,
            revoked_at TIMESTAMPTZ
        );
        """

    private static let roster = """
        CREATE TABLE roster (
            registrant TEXT PRIMARY KEY CHECK (registrant ~ '^[0-9A-Z]{1,20}$'),
            nik TEXT NOT NULL CHECK (nik ~ '^[0-9]{16}$'),
            name TEXT NOT NULL CHECK (name <> ''),
            birth_date TEXT NOT NULL CHECK (birth_date ~ \(day)),
            priority_group TEXT NOT NULL CHECK (priority_group <> ''),
            phone TEXT NOT NULL DEFAULT '',
            doses_elsewhere INTEGER NOT NULL DEFAULT 0 CHECK (doses_elsewhere BETWEEN 0 AND 9),
            -- Checked at the end of each statement, so one import may move a NIK between registrants.
            CONSTRAINT roster_nik_key UNIQUE (nik) DEFERRABLE INITIALLY IMMEDIATE
        );
        """

    private static let dose = """
        CREATE TABLE dose (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            serial TEXT NOT NULL UNIQUE CHECK (serial <> ''),
            registrant TEXT NOT NULL CHECK (registrant <> ''),
            dose INTEGER NOT NULL CHECK (dose BETWEEN 1 AND 9),
            vaccine TEXT NOT NULL CHECK (vaccine <> ''),
            lot TEXT CHECK (lot <> ''),
            site TEXT NOT NULL CHECK (site <> ''),
            ticket_site TEXT NOT NULL CHECK (ticket_site <> ''),
            priority_group TEXT NOT NULL CHECK (priority_group <> ''),
            officer TEXT NOT NULL CHECK (officer <> ''),
            station TEXT NOT NULL CHECK (station <> ''),
            administered_at TIMESTAMPTZ NOT NULL,
            administered_day TEXT NOT NULL CHECK (administered_day ~ \(day)),
            recorded_at TIMESTAMPTZ NOT NULL,
            sync_state TEXT NOT NULL DEFAULT 'pending' CHECK (sync_state IN ('pending', 'synced')),
            -- One dose per registrant and dose number; also serves lookups by registrant.
            UNIQUE (registrant, dose)
        );
        """

    private static let scanLog = """
        CREATE TABLE scan_log (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            time TIMESTAMPTZ NOT NULL,
            day TEXT NOT NULL,
            officer TEXT NOT NULL CHECK (officer <> ''),
            station TEXT NOT NULL CHECK (station <> ''),
            outcome TEXT NOT NULL CHECK (outcome <> ''),
            serial TEXT
        );
        -- The log is an audit trail: rows are added, never changed or removed.
        CREATE FUNCTION vaxticket_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the % table is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
        END $$;
        CREATE TRIGGER scan_log_no_update BEFORE UPDATE OR DELETE ON scan_log
            FOR EACH ROW EXECUTE FUNCTION vaxticket_append_only();
        CREATE TRIGGER scan_log_no_truncate BEFORE TRUNCATE ON scan_log
            FOR EACH STATEMENT EXECUTE FUNCTION vaxticket_append_only();
        """

    /// Running counts kept by statement-level triggers in the same transaction as the rows they
    /// count (one tally update per batch, not per row), so statistics read a few thousand tally
    /// rows instead of millions of doses. Tally rows are touched in key order, so concurrent
    /// writers queue on them instead of deadlocking.
    private static let tallies = """
        CREATE TABLE dose_tally (
            day TEXT NOT NULL, dose INTEGER NOT NULL, site TEXT NOT NULL, vaccine TEXT NOT NULL,
            priority_group TEXT NOT NULL, count BIGINT NOT NULL CHECK (count >= 0),
            PRIMARY KEY (day, dose, site, vaccine, priority_group)
        );
        CREATE FUNCTION dose_tally_add() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO dose_tally (day, dose, site, vaccine, priority_group, count)
            SELECT administered_day, dose, site, vaccine, priority_group, count(*) FROM new_rows
            GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
            ON CONFLICT (day, dose, site, vaccine, priority_group) DO UPDATE SET count = dose_tally.count + EXCLUDED.count;
            RETURN NULL;
        END $$;
        CREATE FUNCTION dose_tally_remove() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE dose_tally t SET count = t.count - o.n
            FROM (SELECT administered_day, dose, site, vaccine, priority_group, count(*) AS n FROM old_rows GROUP BY 1, 2, 3, 4, 5) o
            WHERE t.day = o.administered_day AND t.dose = o.dose AND t.site = o.site AND t.vaccine = o.vaccine
              AND t.priority_group = o.priority_group;
            RETURN NULL;
        END $$;
        CREATE FUNCTION dose_tally_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON o.id = n.id
                       WHERE (o.administered_day, o.dose, o.site, o.vaccine, o.priority_group)
                          IS DISTINCT FROM (n.administered_day, n.dose, n.site, n.vaccine, n.priority_group)) THEN
                UPDATE dose_tally t SET count = t.count - o.n
                FROM (SELECT administered_day, dose, site, vaccine, priority_group, count(*) AS n FROM old_rows GROUP BY 1, 2, 3, 4, 5) o
                WHERE t.day = o.administered_day AND t.dose = o.dose AND t.site = o.site AND t.vaccine = o.vaccine
                  AND t.priority_group = o.priority_group;
                INSERT INTO dose_tally (day, dose, site, vaccine, priority_group, count)
                SELECT administered_day, dose, site, vaccine, priority_group, count(*) FROM new_rows
                GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
                ON CONFLICT (day, dose, site, vaccine, priority_group) DO UPDATE SET count = dose_tally.count + EXCLUDED.count;
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER dose_tally_insert AFTER INSERT ON dose REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION dose_tally_add();
        CREATE TRIGGER dose_tally_delete AFTER DELETE ON dose REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION dose_tally_remove();
        CREATE TRIGGER dose_tally_update AFTER UPDATE ON dose REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION dose_tally_change();
        CREATE TABLE scan_tally (
            day TEXT NOT NULL, outcome TEXT NOT NULL, count BIGINT NOT NULL CHECK (count >= 0),
            PRIMARY KEY (day, outcome)
        );
        CREATE FUNCTION scan_tally_add() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO scan_tally (day, outcome, count)
            SELECT day, outcome, count(*) FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2
            ON CONFLICT (day, outcome) DO UPDATE SET count = scan_tally.count + EXCLUDED.count;
            RETURN NULL;
        END $$;
        CREATE TRIGGER scan_tally_insert AFTER INSERT ON scan_log REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION scan_tally_add();
        """

    /// The registry sync's state: the last refusal per dose, and indexes of the doses that still
    /// wait, small however many doses are synced (see the SQLite migration of the same name).
    private static let sync = """
        ALTER TABLE dose ADD COLUMN sync_refusal TEXT;
        CREATE INDEX dose_unsynced ON dose (id) WHERE sync_state = 'pending';
        CREATE INDEX dose_unsynced_day ON dose (administered_day) WHERE sync_state = 'pending';
        """

    /// Offline stations merge in exactly once: see the SQLite migration of the same name.
    private static let mergeOrigins = """
        CREATE TABLE store_identity (id TEXT PRIMARY KEY CHECK (id <> ''));
        INSERT INTO store_identity (id) VALUES (replace(gen_random_uuid()::text, '-', ''));
        ALTER TABLE dose ADD COLUMN origin TEXT, ADD COLUMN origin_id BIGINT;
        CREATE UNIQUE INDEX dose_origin ON dose (origin, origin_id);
        ALTER TABLE scan_log ADD COLUMN origin TEXT, ADD COLUMN origin_id BIGINT;
        CREATE UNIQUE INDEX scan_log_origin ON scan_log (origin, origin_id);
        CREATE TABLE merge_conflict (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            origin TEXT NOT NULL, origin_id BIGINT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('same_serial', 'same_dose')),
            existing_serial TEXT NOT NULL,
            serial TEXT NOT NULL, registrant TEXT NOT NULL, dose INTEGER NOT NULL, vaccine TEXT NOT NULL, lot TEXT,
            site TEXT NOT NULL, ticket_site TEXT NOT NULL, priority_group TEXT NOT NULL, officer TEXT NOT NULL,
            station TEXT NOT NULL, administered_at TIMESTAMPTZ NOT NULL, administered_day TEXT NOT NULL,
            recorded_at TIMESTAMPTZ NOT NULL, merged_at TIMESTAMPTZ NOT NULL,
            UNIQUE (origin, origin_id)
        );
        CREATE TRIGGER merge_conflict_no_update BEFORE UPDATE OR DELETE ON merge_conflict
            FOR EACH ROW EXECUTE FUNCTION vaxticket_append_only();
        CREATE TRIGGER merge_conflict_no_truncate BEFORE TRUNCATE ON merge_conflict
            FOR EACH STATEMENT EXECUTE FUNCTION vaxticket_append_only();
        """

    /// The advisory lock key of whoever folds the tally deltas in: one folder at a time.
    static let foldLock: Int64 = 0x7661_7874_666f_6c64

    /// What the registry sync has done, counted per day (see the SQLite migration of the same
    /// name), and tallies that many writers add to at once without waiting for each other.
    ///
    /// Until now each writer upserted the tally rows of its batch, so every server and station
    /// recording the same day, site and vaccine queued on one row until the other's commit:
    /// two servers on one database recorded no more than 260 scans a second. Writers now append
    /// their counts to delta tables, which nobody updates; readers sum tallies and deltas, and
    /// fold the deltas in now and then (`vaxticket_fold_tallies`, one folder at a time).
    private static let syncTally = """
        CREATE TABLE sync_tally (
            day TEXT PRIMARY KEY,
            synced BIGINT NOT NULL CHECK (synced >= 0),
            refused BIGINT NOT NULL CHECK (refused >= 0)
        );
        INSERT INTO sync_tally (day, synced, refused)
        SELECT administered_day, count(*) FILTER (WHERE sync_state = 'synced'),
               count(*) FILTER (WHERE sync_state = 'pending' AND sync_refusal IS NOT NULL)
        FROM dose GROUP BY 1;
        CREATE TABLE dose_tally_delta (
            day TEXT NOT NULL, dose INTEGER NOT NULL, site TEXT NOT NULL, vaccine TEXT NOT NULL,
            priority_group TEXT NOT NULL, count BIGINT NOT NULL
        );
        CREATE TABLE scan_tally_delta (day TEXT NOT NULL, outcome TEXT NOT NULL, count BIGINT NOT NULL);
        CREATE TABLE sync_tally_delta (day TEXT NOT NULL, synced BIGINT NOT NULL, refused BIGINT NOT NULL);
        CREATE OR REPLACE FUNCTION dose_tally_add() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO dose_tally_delta (day, dose, site, vaccine, priority_group, count)
            SELECT administered_day, dose, site, vaccine, priority_group, count(*) FROM new_rows GROUP BY 1, 2, 3, 4, 5;
            RETURN NULL;
        END $$;
        CREATE OR REPLACE FUNCTION dose_tally_remove() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO dose_tally_delta (day, dose, site, vaccine, priority_group, count)
            SELECT administered_day, dose, site, vaccine, priority_group, -count(*) FROM old_rows GROUP BY 1, 2, 3, 4, 5;
            RETURN NULL;
        END $$;
        CREATE OR REPLACE FUNCTION dose_tally_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON o.id = n.id
                       WHERE (o.administered_day, o.dose, o.site, o.vaccine, o.priority_group)
                          IS DISTINCT FROM (n.administered_day, n.dose, n.site, n.vaccine, n.priority_group)) THEN
                INSERT INTO dose_tally_delta (day, dose, site, vaccine, priority_group, count)
                SELECT administered_day, dose, site, vaccine, priority_group, -count(*) FROM old_rows GROUP BY 1, 2, 3, 4, 5
                UNION ALL
                SELECT administered_day, dose, site, vaccine, priority_group, count(*) FROM new_rows GROUP BY 1, 2, 3, 4, 5;
            END IF;
            RETURN NULL;
        END $$;
        CREATE OR REPLACE FUNCTION scan_tally_add() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO scan_tally_delta (day, outcome, count)
            SELECT day, outcome, count(*) FROM new_rows GROUP BY 1, 2;
            RETURN NULL;
        END $$;
        CREATE FUNCTION sync_tally_apply() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                INSERT INTO sync_tally_delta (day, synced, refused)
                SELECT administered_day, -count(*) FILTER (WHERE sync_state = 'synced'),
                       -count(*) FILTER (WHERE sync_state = 'pending' AND sync_refusal IS NOT NULL)
                FROM old_rows WHERE sync_state = 'synced' OR sync_refusal IS NOT NULL GROUP BY 1;
            END IF;
            IF TG_OP IN ('UPDATE', 'INSERT') THEN
                INSERT INTO sync_tally_delta (day, synced, refused)
                SELECT administered_day, count(*) FILTER (WHERE sync_state = 'synced'),
                       count(*) FILTER (WHERE sync_state = 'pending' AND sync_refusal IS NOT NULL)
                FROM new_rows WHERE sync_state = 'synced' OR sync_refusal IS NOT NULL GROUP BY 1;
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER sync_tally_insert AFTER INSERT ON dose REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION sync_tally_apply();
        CREATE TRIGGER sync_tally_delete AFTER DELETE ON dose REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION sync_tally_apply();
        CREATE TRIGGER sync_tally_update AFTER UPDATE ON dose REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION sync_tally_apply();
        CREATE FUNCTION vaxticket_fold_tallies() RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT pg_try_advisory_xact_lock(\(foldLock)) THEN RETURN; END IF;
            -- A key's sum is added to its row when it has one, else inserted: the CHECKs see
            -- the sums, never a removal's negative count on its own.
            WITH moved AS (DELETE FROM dose_tally_delta RETURNING *),
            sums AS (SELECT day, dose, site, vaccine, priority_group, sum(count) AS n FROM moved GROUP BY 1, 2, 3, 4, 5),
            updated AS (
                UPDATE dose_tally t SET count = t.count + s.n FROM sums s
                WHERE t.day = s.day AND t.dose = s.dose AND t.site = s.site AND t.vaccine = s.vaccine
                  AND t.priority_group = s.priority_group
                RETURNING t.day, t.dose, t.site, t.vaccine, t.priority_group)
            INSERT INTO dose_tally (day, dose, site, vaccine, priority_group, count)
            SELECT s.day, s.dose, s.site, s.vaccine, s.priority_group, s.n FROM sums s
            WHERE NOT EXISTS (SELECT 1 FROM updated u WHERE u.day = s.day AND u.dose = s.dose AND u.site = s.site
                              AND u.vaccine = s.vaccine AND u.priority_group = s.priority_group);
            WITH moved AS (DELETE FROM scan_tally_delta RETURNING *),
            sums AS (SELECT day, outcome, sum(count) AS n FROM moved GROUP BY 1, 2),
            updated AS (
                UPDATE scan_tally t SET count = t.count + s.n FROM sums s
                WHERE t.day = s.day AND t.outcome = s.outcome RETURNING t.day, t.outcome)
            INSERT INTO scan_tally (day, outcome, count)
            SELECT s.day, s.outcome, s.n FROM sums s
            WHERE NOT EXISTS (SELECT 1 FROM updated u WHERE u.day = s.day AND u.outcome = s.outcome);
            WITH moved AS (DELETE FROM sync_tally_delta RETURNING *),
            sums AS (SELECT day, sum(synced) AS synced, sum(refused) AS refused FROM moved GROUP BY 1),
            updated AS (
                UPDATE sync_tally t SET synced = t.synced + s.synced, refused = t.refused + s.refused
                FROM sums s WHERE t.day = s.day RETURNING t.day)
            INSERT INTO sync_tally (day, synced, refused)
            SELECT s.day, s.synced, s.refused FROM sums s
            WHERE NOT EXISTS (SELECT 1 FROM updated u WHERE u.day = s.day);
        END $$;
        DROP INDEX dose_unsynced_day;
        DROP INDEX dose_origin;
        CREATE UNIQUE INDEX dose_origin ON dose (origin, origin_id) WHERE origin IS NOT NULL;
        DROP INDEX scan_log_origin;
        CREATE UNIQUE INDEX scan_log_origin ON scan_log (origin, origin_id) WHERE origin IS NOT NULL;
        """

    /// Phones' queued scans, each id of an officer recorded once: see the SQLite migration.
    private static let queuedScans = """
        CREATE TABLE queued_scan (
            officer TEXT NOT NULL CHECK (officer <> ''),
            scan_id TEXT NOT NULL CHECK (length(scan_id) BETWEEN 8 AND 64),
            scanned_at TIMESTAMPTZ NOT NULL,
            scanned_day TEXT NOT NULL CHECK (scanned_day ~ \(day)),
            received_at TIMESTAMPTZ NOT NULL,
            answer TEXT NOT NULL,
            PRIMARY KEY (officer, scan_id)
        );
        CREATE INDEX queued_scan_day ON queued_scan (scanned_day);
        """
}
