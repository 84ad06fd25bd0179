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
}
