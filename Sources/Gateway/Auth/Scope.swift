/// What a caller may do. Routes name the scope they need.
public enum Scope: String, Sendable, CaseIterable, Hashable {
    /// Score leads (single and batch).
    case writeLeads = "crm.write.leads"
    /// Read live scores and the model list.
    case readLeads = "crm.read.leads"
    /// Admin routes: reload models (and, later, prompts).
    case promptsAdmin = "prompts.admin"
}

/// Who is calling, once authenticated.
public struct Principal: Sendable {
    public var subject: String
    public var scopes: Set<Scope>

    /// The caller when auth is off: may do everything.
    public static let anonymous = Principal(subject: "anonymous", scopes: Set(Scope.allCases))
}
