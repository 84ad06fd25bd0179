import Scoring

/// One short sentence a voice agent can say about a lead.
enum Speakable {
    /// The badge and score, the strongest reason for it, and the question to ask next (the manifest's
    /// `question` of the field holding the lead back most, else its `default_question`).
    static func sentence(badge: Badge, score: Int, reasons: [LeadScore.Reason], manifest: ModelManifest) -> String {
        var sentence = "\(badge.rawValue.prefix(1).uppercased())\(badge.rawValue.dropFirst()) lead, \(score) out of 100"
        if let up = reasons.first(where: { $0.direction == .up }), let first = up.text.first {
            sentence += ", mainly: \(first.lowercased())\(up.text.dropFirst())"
        }
        sentence += "."
        let down = reasons.first { $0.direction == .down }
        if let question = down.flatMap({ d in manifest.fields.first { $0.name == d.field }?.question }) ?? manifest.defaultQuestion {
            sentence += " Next, ask: \(question)"
        }
        return sentence
    }
}
