import Foundation
import HTTPTypes
import Hummingbird
import Reranker

/// What the mock chat-completions endpoint answers.
public struct MockAnswer: Sendable {
    public var status = 200
    public var delay: Duration = .zero
    public var headers: [String: String] = [:]
    public var body: String

    public init(status: Int = 200, delay: Duration = .zero, headers: [String: String] = [:], body: String) {
        self.status = status
        self.delay = delay
        self.headers = headers
        self.body = body
    }

    /// A well-formed completion whose message content is `content`.
    public static func completion(_ content: String, finish: String = "stop", refusal: String? = nil, delay: Duration = .zero) -> MockAnswer {
        var message: [String: Any] = ["role": "assistant", "content": content]
        if let refusal { message["refusal"] = refusal }
        let envelope: [String: Any] = [
            "id": "chatcmpl-test", "object": "chat.completion", "model": "mock",
            "choices": [["index": 0, "message": message, "finish_reason": finish]],
            "usage": ["prompt_tokens": 120, "completion_tokens": 18, "total_tokens": 138],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: envelope)) ?? Data()
        return MockAnswer(delay: delay, body: String(decoding: data, as: UTF8.self))
    }

    public static func adjustment(_ multiplier: Double, _ reasoning: String = "Pre-approved and touring soon.", delay: Duration = .zero) -> MockAnswer
    {
        completion(#"{"multiplier": \#(multiplier), "reasoning": "\#(reasoning)"}"#, delay: delay)
    }
}

/// Records what the mock received.
public final class MockLog: @unchecked Sendable {
    private let lock = NSLock()
    private var bodies: [[String: Any]] = []
    private var headerLines: [[String: String]] = []

    /// Records a request and returns its index (0 for the first).
    func append(_ body: [String: Any], headers: [String: String]) -> Int {
        lock.lock()
        defer { lock.unlock() }
        bodies.append(body)
        headerLines.append(headers)
        return bodies.count - 1
    }

    public var requests: [[String: Any]] {
        lock.lock()
        defer { lock.unlock() }
        return bodies
    }

    public var headers: [[String: String]] {
        lock.lock()
        defer { lock.unlock() }
        return headerLines
    }
}

/// An OpenAI-compatible `POST /v1/chat/completions` on a free loopback port; `answer` decides each reply.
public func withMockLLM<T: Sendable>(
    _ answer: @escaping @Sendable (_ request: [String: Any], _ index: Int) -> MockAnswer,
    _ body: @Sendable (_ baseURL: String, _ log: MockLog) async throws -> T
) async throws -> T {
    let log = MockLog()
    let router = Router()
    router.post("/v1/chat/completions") { request, _ in
        let buffer = try await request.body.collect(upTo: 1 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let index = log.append(json, headers: headers)
        let reply = answer(json, index)
        if reply.delay > .zero { try await Task.sleep(for: reply.delay) }
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        for (name, value) in reply.headers { if let key = HTTPField.Name(name) { fields[key] = value } }
        return Response(status: .init(code: reply.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: reply.body)))
    }
    return try await withLoopbackServer(router, label: "mock-llm") { base in try await body(base + "/v1", log) }
}
