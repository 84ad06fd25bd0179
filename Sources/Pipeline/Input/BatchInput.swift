public import JSON
public import Scoring

/// `POST /v1/leads/batch-score`: leads and options shared by all of them.
public struct BatchInput: Sendable {
    public var leads: [LeadInput] = []
    public var options = ScoreOptions()
    public var issues: [FieldIssue] = []

    public init(leads: [LeadInput], options: ScoreOptions = ScoreOptions()) {
        self.leads = leads
        self.options = options
    }

    public init(_ node: JSONNode) {
        guard case .object(let members) = node else {
            issues.append(FieldIssue(field: "(body)", message: "must be a JSON object with a `leads` list, not \(node.typeName)."))
            return
        }
        var sawLeads = false
        for (key, value) in members {
            switch key {
            case "leads":
                sawLeads = true
                guard case .array(let elements) = value else {
                    issues.append(FieldIssue(field: "leads", message: "must be a list of lead objects, not \(value.typeName)."))
                    continue
                }
                leads = elements.map { LeadInput($0) }
            case "options":
                options = ScoreOptions(value, path: "options", issues: &issues)
            default:
                issues.append(FieldIssue(field: key, message: "is not a field of a batch. Use leads and options."))
            }
        }
        if !sawLeads {
            issues.append(FieldIssue(field: "leads", message: "is required: a list of up to the batch limit of lead objects."))
        }
    }
}
