import Foundation
import GRDB

/// The database schema as named, append-only migrations: a released migration is never edited,
/// a change is a new migration at the end.
enum Schema {
    /// Every migration, in order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 roster", migrate: createRoster)
        migrator.registerMigration("v1 dose", migrate: createDose)
        migrator.registerMigration("v1 scan log", migrate: createScanLog)
        migrator.registerMigration("v1 tallies", migrate: createTallies)
        migrator.registerMigration("v2 hardening", migrate: harden)
        migrator.registerMigration("v2 sync", migrate: addSyncState)
        migrator.registerMigration("v2 officers", migrate: createOfficers)
        migrator.registerMigration("v2 merge origins", migrate: createMergeOrigins)
        migrator.registerMigration("v3 sync tally", migrate: createSyncTally)
        migrator.registerMigration("v4 queued scans", migrate: createQueuedScans)
        return migrator
    }

    private static func createRoster(_ db: Database) throws {
        try db.create(table: "roster") { t in
            t.primaryKey("registrant", .text).check(
                sql:
                    "registrant <> '' AND registrant NOT GLOB '*[^0-9A-Z]*' AND length(registrant) <= 20"
            )
            t.column("nik", .text).notNull().unique().check(
                sql: "length(nik) = 16 AND nik NOT GLOB '*[^0-9]*'")
            t.column("name", .text).notNull().check(sql: "name <> ''")
            t.column("birth_date", .text).notNull().check(
                sql: "birth_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'")
            t.column("priority_group", .text).notNull().check(sql: "priority_group <> ''")
            t.column("phone", .text).notNull().defaults(to: "")
            t.column("doses_elsewhere", .integer).notNull().defaults(to: 0).check(
                sql: "doses_elsewhere BETWEEN 0 AND 9")
        }
    }

    private static func createDose(_ db: Database) throws {
        try db.create(table: "dose") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("serial", .text).notNull().unique().check(sql: "serial <> ''")
            t.column("registrant", .text).notNull().check(sql: "registrant <> ''")
            t.column("dose", .integer).notNull().check(sql: "dose BETWEEN 1 AND 9")
            t.column("vaccine", .text).notNull().check(sql: "vaccine <> ''")
            t.column("lot", .text).check(sql: "lot <> ''")
            t.column("site", .text).notNull().check(sql: "site <> ''")
            t.column("ticket_site", .text).notNull().check(sql: "ticket_site <> ''")
            t.column("priority_group", .text).notNull().check(sql: "priority_group <> ''")
            t.column("officer", .text).notNull().check(sql: "officer <> ''")
            t.column("station", .text).notNull().check(sql: "station <> ''")
            t.column("administered_at", .datetime).notNull()
            t.column("administered_day", .text).notNull().check(
                sql: "administered_day GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'")
            t.column("recorded_at", .datetime).notNull()
            t.column("sync_state", .text).notNull().defaults(to: "pending").check(
                sql: "sync_state IN ('pending', 'synced')")
            // One dose per registrant and dose number; also serves lookups by registrant.
            t.uniqueKey(["registrant", "dose"])
        }
    }

    private static func createScanLog(_ db: Database) throws {
        try db.create(table: "scan_log") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("time", .datetime).notNull()
            t.column("day", .text).notNull()
            t.column("officer", .text).notNull().check(sql: "officer <> ''")
            t.column("station", .text).notNull().check(sql: "station <> ''")
            t.column("outcome", .text).notNull().check(sql: "outcome <> ''")
            t.column("serial", .text)
        }
        // The log is an audit trail: rows are added, never changed or removed.
        try db.execute(
            sql: """
                CREATE TRIGGER scan_log_no_update BEFORE UPDATE ON scan_log
                BEGIN SELECT RAISE(ABORT, 'the scan log is append-only'); END;
                CREATE TRIGGER scan_log_no_delete BEFORE DELETE ON scan_log
                BEGIN SELECT RAISE(ABORT, 'the scan log is append-only'); END;
                """)
    }

    /// Running counts kept by triggers in the same transaction as the rows they count, so
    /// statistics read a few thousand tally rows instead of millions of doses.
    private static func createTallies(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE dose_tally (
                    day TEXT NOT NULL, dose INTEGER NOT NULL, site TEXT NOT NULL, vaccine TEXT NOT NULL,
                    priority_group TEXT NOT NULL, count INTEGER NOT NULL CHECK (count >= 0),
                    PRIMARY KEY (day, dose, site, vaccine, priority_group)
                ) WITHOUT ROWID;
                CREATE TRIGGER dose_tally_insert AFTER INSERT ON dose BEGIN
                    INSERT INTO dose_tally (day, dose, site, vaccine, priority_group, count)
                    VALUES (NEW.administered_day, NEW.dose, NEW.site, NEW.vaccine, NEW.priority_group, 1)
                    ON CONFLICT (day, dose, site, vaccine, priority_group) DO UPDATE SET count = count + 1;
                END;
                CREATE TRIGGER dose_tally_delete AFTER DELETE ON dose BEGIN
                    UPDATE dose_tally SET count = count - 1
                    WHERE day = OLD.administered_day AND dose = OLD.dose AND site = OLD.site
                      AND vaccine = OLD.vaccine AND priority_group = OLD.priority_group;
                END;
                CREATE TRIGGER dose_tally_update
                AFTER UPDATE OF administered_day, dose, site, vaccine, priority_group ON dose BEGIN
                    UPDATE dose_tally SET count = count - 1
                    WHERE day = OLD.administered_day AND dose = OLD.dose AND site = OLD.site
                      AND vaccine = OLD.vaccine AND priority_group = OLD.priority_group;
                    INSERT INTO dose_tally (day, dose, site, vaccine, priority_group, count)
                    VALUES (NEW.administered_day, NEW.dose, NEW.site, NEW.vaccine, NEW.priority_group, 1)
                    ON CONFLICT (day, dose, site, vaccine, priority_group) DO UPDATE SET count = count + 1;
                END;
                CREATE TABLE scan_tally (
                    day TEXT NOT NULL, outcome TEXT NOT NULL, count INTEGER NOT NULL CHECK (count >= 0),
                    PRIMARY KEY (day, outcome)
                ) WITHOUT ROWID;
                CREATE TRIGGER scan_tally_insert AFTER INSERT ON scan_log BEGIN
                    INSERT INTO scan_tally (day, outcome, count) VALUES (NEW.day, NEW.outcome, 1)
                    ON CONFLICT (day, outcome) DO UPDATE SET count = count + 1;
                END;
                """)
    }

    /// The timestamp form GRDB stores a `Date` in, `YYYY-MM-DD HH:MM:SS.SSS` (UTC), as an SQL
    /// condition on `value`.
    private static func isTimestamp(_ value: String) -> String {
        "(typeof(\(value)) = 'text' AND \(value) GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9]' AND julianday(\(value)) IS NOT NULL)"
    }

    /// Issue 9: timestamps that are not timestamps are refused. SQLite cannot add a CHECK to an
    /// existing table, so these triggers act as one, on insert and on update alike.
    private static func harden(_ db: Database) throws {
        // Marks the file as VaxTicket's, so another program's database is never migrated.
        try db.execute(sql: "PRAGMA application_id = \(SQLiteDoseStore.applicationID)")
        // Settings fixed when the database is made: the programme's time zone.
        try db.create(table: "programme_setting") { t in
            t.primaryKey("name", .text)
            t.column("value", .text).notNull()
        }
        // The station's real clock beside the claimed administration time (`--at`).
        try db.alter(table: "scan_log") { t in t.add(column: "clock_time", .datetime) }
        let doseTimes =
            "\(isTimestamp("NEW.administered_at")) AND \(isTimestamp("NEW.recorded_at"))"
        let logTime = isTimestamp("NEW.time")
        try db.execute(
            sql: """
                CREATE TRIGGER dose_check_times_insert BEFORE INSERT ON dose WHEN NOT (\(doseTimes))
                BEGIN SELECT RAISE(ABORT, 'CHECK: administered_at and recorded_at must be timestamps'); END;
                CREATE TRIGGER dose_check_times_update BEFORE UPDATE OF administered_at, recorded_at ON dose WHEN NOT (\(doseTimes))
                BEGIN SELECT RAISE(ABORT, 'CHECK: administered_at and recorded_at must be timestamps'); END;
                CREATE TRIGGER scan_log_check_time BEFORE INSERT ON scan_log WHEN NOT (\(logTime))
                BEGIN SELECT RAISE(ABORT, 'CHECK: the scan log time must be a timestamp'); END;
                """)
    }

    /// What the registry sync needs: the last refusal per dose, and an index of the doses that
    /// still wait, small however many doses are synced.
    private static func addSyncState(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE dose ADD COLUMN sync_refusal TEXT;
                CREATE INDEX dose_unsynced ON dose (id) WHERE sync_state = 'pending';
                CREATE INDEX dose_unsynced_day ON dose (administered_day) WHERE sync_state = 'pending';
                """)
    }

    /// The scanning server's officers: only a SHA-256 of each token is kept.
    private static func createOfficers(_ db: Database) throws {
        try db.create(table: "officer") { t in
            t.primaryKey("name", .text).check(sql: "name <> '' AND length(name) <= 64")
            t.column("site", .text).check(sql: "site <> '' AND length(site) <= 64")
            t.column("token_hash", .text).notNull().unique().check(
                sql: "length(token_hash) = 64 AND token_hash NOT GLOB '*[^0-9a-f]*'")
            t.column("created_at", .datetime).notNull()
            t.column("revoked_at", .datetime)
        }
    }

    /// Offline stations merge into a central database exactly once: each database gets an
    /// identity, merged doses and scan log lines keep where they were first written (unique, so
    /// a second merge adds nothing), and a station's dose that clashes with one already held is
    /// kept in `merge_conflict`, never dropped.
    private static func createMergeOrigins(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE store_identity (id TEXT PRIMARY KEY NOT NULL CHECK (id <> ''));
                INSERT INTO store_identity (id) VALUES (lower(hex(randomblob(16))));
                ALTER TABLE dose ADD COLUMN origin TEXT;
                ALTER TABLE dose ADD COLUMN origin_id INTEGER;
                CREATE UNIQUE INDEX dose_origin ON dose (origin, origin_id);
                ALTER TABLE scan_log ADD COLUMN origin TEXT;
                ALTER TABLE scan_log ADD COLUMN origin_id INTEGER;
                CREATE UNIQUE INDEX scan_log_origin ON scan_log (origin, origin_id);
                CREATE TABLE merge_conflict (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    origin TEXT NOT NULL, origin_id INTEGER NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('same_serial', 'same_dose')),
                    existing_serial TEXT NOT NULL,
                    serial TEXT NOT NULL, registrant TEXT NOT NULL, dose INTEGER NOT NULL, vaccine TEXT NOT NULL, lot TEXT,
                    site TEXT NOT NULL, ticket_site TEXT NOT NULL, priority_group TEXT NOT NULL, officer TEXT NOT NULL,
                    station TEXT NOT NULL, administered_at DATETIME NOT NULL, administered_day TEXT NOT NULL,
                    recorded_at DATETIME NOT NULL, merged_at DATETIME NOT NULL,
                    UNIQUE (origin, origin_id)
                );
                CREATE TRIGGER merge_conflict_no_update BEFORE UPDATE ON merge_conflict
                BEGIN SELECT RAISE(ABORT, 'merge conflicts are append-only'); END;
                CREATE TRIGGER merge_conflict_no_delete BEFORE DELETE ON merge_conflict
                BEGIN SELECT RAISE(ABORT, 'merge conflicts are append-only'); END;
                """)
    }

    /// What the registry sync has done, counted per day by triggers like the dose tallies, so
    /// `stats` reads a few hundred rows instead of every waiting dose (533 ms at a city's
    /// 1.2 million doses). Only synced doses and refused ones are counted: a new dose, pending
    /// and never refused, costs the triggers nothing but their `WHEN` test. The index of waiting
    /// doses by day served only those counts and goes; the merge origin indexes hold merged rows
    /// only (a station's own rows have none), which keeps each recorded dose and scan smaller.
    private static func createSyncTally(_ db: Database) throws {
        let synced = "(%1.sync_state = 'synced')"
        let refused = "(%1.sync_state = 'pending' AND %1.sync_refusal IS NOT NULL)"
        func counts(_ row: String) -> (String, String) {
            (
                synced.replacingOccurrences(of: "%1", with: row),
                refused.replacingOccurrences(of: "%1", with: row)
            )
        }
        let (newSynced, newRefused) = counts("NEW")
        let (oldSynced, oldRefused) = counts("OLD")
        try db.execute(
            sql: """
                CREATE TABLE sync_tally (
                    day TEXT NOT NULL PRIMARY KEY,
                    synced INTEGER NOT NULL CHECK (synced >= 0),
                    refused INTEGER NOT NULL CHECK (refused >= 0)
                ) WITHOUT ROWID;
                INSERT INTO sync_tally (day, synced, refused)
                SELECT administered_day, SUM(sync_state = 'synced'),
                       SUM(sync_state = 'pending' AND sync_refusal IS NOT NULL)
                FROM dose GROUP BY administered_day;
                CREATE TRIGGER sync_tally_insert AFTER INSERT ON dose
                WHEN \(newSynced) OR \(newRefused) BEGIN
                    INSERT INTO sync_tally (day, synced, refused)
                    VALUES (NEW.administered_day, \(newSynced), \(newRefused))
                    ON CONFLICT (day) DO UPDATE
                    SET synced = synced + excluded.synced, refused = refused + excluded.refused;
                END;
                CREATE TRIGGER sync_tally_delete AFTER DELETE ON dose
                WHEN \(oldSynced) OR \(oldRefused) BEGIN
                    UPDATE sync_tally
                    SET synced = synced - \(oldSynced), refused = refused - \(oldRefused)
                    WHERE day = OLD.administered_day;
                END;
                CREATE TRIGGER sync_tally_update
                AFTER UPDATE OF sync_state, sync_refusal, administered_day ON dose BEGIN
                    UPDATE sync_tally
                    SET synced = synced - \(oldSynced), refused = refused - \(oldRefused)
                    WHERE day = OLD.administered_day;
                    INSERT INTO sync_tally (day, synced, refused)
                    VALUES (NEW.administered_day, \(newSynced), \(newRefused))
                    ON CONFLICT (day) DO UPDATE
                    SET synced = synced + excluded.synced, refused = refused + excluded.refused;
                END;
                DROP INDEX dose_unsynced_day;
                DROP INDEX dose_origin;
                CREATE UNIQUE INDEX dose_origin ON dose (origin, origin_id) WHERE origin IS NOT NULL;
                DROP INDEX scan_log_origin;
                CREATE UNIQUE INDEX scan_log_origin ON scan_log (origin, origin_id)
                    WHERE origin IS NOT NULL;
                """)
    }

    /// Phones that scanned offline upload their queues: each scan id of an officer is recorded
    /// once, and its first answer is kept for any repeat of the upload.
    private static func createQueuedScans(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE queued_scan (
                    officer TEXT NOT NULL CHECK (officer <> ''),
                    scan_id TEXT NOT NULL CHECK (length(scan_id) BETWEEN 8 AND 64),
                    scanned_at DATETIME NOT NULL, scanned_day TEXT NOT NULL,
                    received_at DATETIME NOT NULL, answer TEXT NOT NULL,
                    PRIMARY KEY (officer, scan_id)
                ) WITHOUT ROWID;
                CREATE INDEX queued_scan_day ON queued_scan (scanned_day);
                """)
    }
}
