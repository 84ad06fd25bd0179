/// The one schema both backends share, as numbered migrations. Each backend gets the same tables,
/// columns and indexes in its own dialect: PostgreSQL keeps times as `timestamptz` and JSON as `json`
/// (which keeps the text exactly as written, unlike `jsonb`); SQLite keeps times as INTEGER
/// microseconds since 1970 and JSON as TEXT.
///
/// Applied migrations are rows of `schema_migrations (version, name, applied_at)`. Never edit a
/// shipped migration; add the next number.
public enum Schema {
    /// A numbered step of the schema.
    public struct Migration: Sendable {
        public var version: Int
        public var name: String
        public var statements: [String]
    }

    /// The SQL dialect of a backend.
    public enum Dialect: Sendable {
        case postgres, sqlite
    }

    /// The migrations for `dialect`, in order.
    public static func migrations(for dialect: Dialect) -> [Migration] {
        [
            Migration(version: 1, name: "001_initial", statements: initial(dialect)),
            // The learning loop's history: every model promotion, refusal and rollback, with the rule
            // and the figures, is an audit_log row whose action starts with `model.`.
            Migration(
                version: 2, name: "002_model_events",
                statements: [
                    """
                    CREATE VIEW model_events AS SELECT id, at, actor, action, target AS model_id, detail_json \
                    FROM audit_log WHERE action LIKE 'model.%'
                    """
                ]),
            Migration(version: 3, name: "003_model_performance", statements: modelPerformance(dialect)),
            // Leases: work that one gateway at a time does (the scheduled retraining).
            Migration(
                version: 4, name: "004_leases",
                statements: [
                    "CREATE TABLE leases (name text PRIMARY KEY, holder text NOT NULL, expires_at \(dialect == .postgres ? "timestamptz" : "INTEGER") NOT NULL)"
                ]),
        ]
    }

    /// Live performance snapshots: the CRM's columns (version, accuracy, precision, recall, f1, test
    /// date; the classification ones at probability ≥ 0.5) and ours.
    static func modelPerformance(_ dialect: Dialect) -> [String] {
        let time = dialect == .postgres ? "timestamptz" : "INTEGER"
        let real = dialect == .postgres ? "double precision" : "REAL"
        let serial = dialect == .postgres ? "bigserial PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"
        return [
            """
            CREATE TABLE model_performance (
                id \(serial),
                model_id text NOT NULL,
                version text NOT NULL,
                accuracy \(real),
                "precision" \(real),
                recall \(real),
                f1 \(real),
                test_date \(time) NOT NULL,
                window_days integer NOT NULL,
                leads integer NOT NULL,
                converted integer NOT NULL,
                auc \(real),
                pr_auc \(real),
                ece \(real),
                llm_lift \(real),
                llm_lift_low \(real),
                llm_lift_high \(real)
            )
            """,
            "CREATE INDEX model_performance_model_date ON model_performance (model_id, test_date)",
        ]
    }

    /// Takes a lease in one statement: inserts it, or takes it over when it has expired or is the
    /// holder's own; no row comes back when another holder keeps it. `p` numbers the placeholders.
    static func acquireLeaseSQL(_ p: (Int) -> String) -> String {
        "INSERT INTO leases (name, holder, expires_at) VALUES (\(p(1)), \(p(2)), \(p(3))) ON CONFLICT (name) DO UPDATE "
            + "SET holder = excluded.holder, expires_at = excluded.expires_at "
            + "WHERE leases.expires_at <= \(p(4)) OR leases.holder = excluded.holder RETURNING holder"
    }

    static let performanceColumns = [
        "model_id", "version", "accuracy", #""precision""#, "recall", "f1", "test_date", "window_days", "leads", "converted", "auc", "pr_auc",
        "ece", "llm_lift", "llm_lift_low", "llm_lift_high",
    ]

    static func initial(_ dialect: Dialect) -> [String] {
        let time = dialect == .postgres ? "timestamptz" : "INTEGER"
        let json = dialect == .postgres ? "json" : "TEXT"
        let real = dialect == .postgres ? "double precision" : "REAL"
        let serial = dialect == .postgres ? "bigserial PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"
        let now = dialect == .postgres ? "now()" : "(CAST(unixepoch('subsec') * 1000000 AS INTEGER))"
        return [
            """
            CREATE TABLE decisions (
                id text PRIMARY KEY,
                request_id text NOT NULL,
                item_index integer NOT NULL,
                lead_id text NOT NULL,
                decided_at \(time) NOT NULL,
                kind text NOT NULL,
                caller text,
                gateway_instance text NOT NULL,
                model_id text NOT NULL,
                model_version text NOT NULL,
                model_role text NOT NULL,
                input_json \(json) NOT NULL,
                unknown_fields_json \(json) NOT NULL,
                probability \(real) NOT NULL,
                base_score integer NOT NULL,
                final_score integer NOT NULL,
                base_badge text NOT NULL,
                final_badge text NOT NULL,
                confidence \(real) NOT NULL,
                explanation_json \(json) NOT NULL,
                llm_status text NOT NULL,
                llm_reason text,
                llm_multiplier \(real),
                llm_reasoning text,
                prompt_id text,
                prompt_version text,
                prompt_hash text,
                llm_model text,
                llm_raw_answer text,
                llm_latency_ms \(real),
                llm_prompt_tokens integer,
                llm_completion_tokens integer,
                total_latency_ms \(real) NOT NULL,
                expires_at \(time),
                recorded_at \(time) NOT NULL DEFAULT \(now)
            )
            """,
            "CREATE INDEX decisions_lead_time ON decisions (lead_id, decided_at, id)",
            "CREATE INDEX decisions_time ON decisions (decided_at, id)",
            """
            CREATE TABLE lead_scores (
                decision_id text PRIMARY KEY,
                lead_id text NOT NULL,
                score integer NOT NULL,
                confidence \(real) NOT NULL,
                explanation_json \(json) NOT NULL,
                "timestamp" \(time) NOT NULL,
                model_version text NOT NULL,
                expires_at \(time)
            )
            """,
            #"CREATE INDEX lead_scores_lead_time ON lead_scores (lead_id, "timestamp")"#,
            #"CREATE INDEX lead_scores_time ON lead_scores ("timestamp")"#,
            """
            CREATE TABLE outcomes (
                id \(serial),
                lead_id text NOT NULL,
                outcome text NOT NULL,
                value \(real),
                occurred_at \(time) NOT NULL,
                source text,
                idempotency_key text UNIQUE,
                decision_id text,
                recorded_at \(time) NOT NULL DEFAULT \(now)
            )
            """,
            "CREATE INDEX outcomes_lead_time ON outcomes (lead_id, occurred_at)",
            "CREATE INDEX outcomes_time ON outcomes (occurred_at)",
            """
            CREATE TABLE audit_log (
                id \(serial),
                at \(time) NOT NULL,
                actor text NOT NULL,
                action text NOT NULL,
                target text NOT NULL,
                detail_json \(json) NOT NULL
            )
            """,
            "CREATE INDEX audit_log_time ON audit_log (at)",
        ]
    }

    static let migrationsTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            applied_at text NOT NULL
        )
        """

    /// The columns of `decisions` the stores write and read, in this order.
    static let decisionColumns = [
        "id", "request_id", "item_index", "lead_id", "decided_at", "kind", "caller", "gateway_instance", "model_id", "model_version",
        "model_role", "input_json", "unknown_fields_json", "probability", "base_score", "final_score", "base_badge", "final_badge",
        "confidence", "explanation_json", "llm_status", "llm_reason", "llm_multiplier", "llm_reasoning", "prompt_id", "prompt_version",
        "prompt_hash", "llm_model", "llm_raw_answer", "llm_latency_ms", "llm_prompt_tokens", "llm_completion_tokens", "total_latency_ms",
        "expires_at",
    ]

    /// Columns of `decisions` that hold JSON (PostgreSQL binds them with a `::json` cast).
    static let jsonDecisionColumns: Set<String> = ["input_json", "unknown_fields_json", "explanation_json"]
}
