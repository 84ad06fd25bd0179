import HTTPTypes

extension HTTPField.Name {
    // Every name here is a valid header token, so the initialiser cannot fail.
    static let requestID = HTTPField.Name("X-Request-Id")!
    static let apiKey = HTTPField.Name("X-API-Key")!
    /// The prompt (`id@version hash`) that adjusted a score; the access log names it.
    static let leadgatePrompt = HTTPField.Name("X-LeadGate-Prompt")!
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    static let accelBuffering = HTTPField.Name("X-Accel-Buffering")!
    static let retellSignature = HTTPField.Name("X-Retell-Signature")!
    static let vapiSecret = HTTPField.Name("X-Vapi-Secret")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    /// Set on a job answered from an earlier request with the same `Idempotency-Key`.
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
    static let prefer = HTTPField.Name("Prefer")!
    static let preferenceApplied = HTTPField.Name("Preference-Applied")!
}
