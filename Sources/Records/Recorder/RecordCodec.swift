/// A compact binary form of ``DecisionRecord`` for the journal: little-endian integers, strings as
/// a 32-bit length and UTF-8 bytes, optionals behind a presence byte. Faster to write and to read
/// back than JSON, and versioned by a leading byte so a later layout can still read old journals.
enum RecordCodec {
    static let version: UInt8 = 1

    struct Corrupt: Error, CustomStringConvertible {
        var description: String
    }

    static func encode(_ records: some Collection<DecisionRecord>) -> [UInt8] {
        var writer = Writer()
        writer.bytes.reserveCapacity(records.count * 1024)
        writer.u32(UInt32(records.count))
        for record in records { writer.record(record) }
        return writer.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> [DecisionRecord] {
        var reader = Reader(bytes: bytes)
        let count = try reader.u32()
        guard count <= bytes.count else { throw Corrupt(description: "frame claims \(count) records in \(bytes.count) bytes") }
        var records: [DecisionRecord] = []
        records.reserveCapacity(Int(count))
        for _ in 0..<count { records.append(try reader.record()) }
        guard reader.position == bytes.count else { throw Corrupt(description: "frame has \(bytes.count - reader.position) trailing bytes") }
        return records
    }

    struct Writer {
        var bytes: [UInt8] = []

        mutating func u8(_ value: UInt8) { bytes.append(value) }
        mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        mutating func i64(_ value: Int64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        mutating func int(_ value: Int) { i64(Int64(value)) }
        mutating func double(_ value: Double) { i64(Int64(bitPattern: value.bitPattern)) }
        mutating func string(_ value: String) {
            let utf8 = value.utf8
            u32(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
        mutating func optional<T>(_ value: T?, _ write: (inout Writer, T) -> Void) {
            if let value {
                u8(1)
                write(&self, value)
            } else {
                u8(0)
            }
        }

        mutating func record(_ r: DecisionRecord) {
            u8(RecordCodec.version)
            string(r.requestID)
            int(r.index)
            string(r.leadID)
            i64(RecordTime.microseconds(r.time))
            string(r.kind.rawValue)
            optional(r.caller) { $0.string($1) }
            string(r.gatewayInstance)
            string(r.model.id)
            string(r.model.version)
            string(r.model.role)
            string(r.inputJSON)
            u32(UInt32(r.unknownFields.count))
            for field in r.unknownFields { string(field) }
            double(r.probability)
            int(r.baseScore)
            int(r.finalScore)
            string(r.baseBadge)
            string(r.finalBadge)
            double(r.confidence)
            string(r.explanationJSON)
            string(r.llm.status)
            optional(r.llm.reason) { $0.string($1) }
            optional(r.llm.multiplier) { $0.double($1) }
            optional(r.llm.reasoning) { $0.string($1) }
            optional(r.llm.promptID) { $0.string($1) }
            optional(r.llm.promptVersion) { $0.string($1) }
            optional(r.llm.promptHash) { $0.string($1) }
            optional(r.llm.model) { $0.string($1) }
            optional(r.llm.rawAnswer) { $0.string($1) }
            optional(r.llm.latencyMilliseconds) { $0.double($1) }
            optional(r.llm.tokens) { writer, tokens in
                writer.int(tokens.prompt)
                writer.int(tokens.completion)
            }
            double(r.totalLatencyMilliseconds)
            optional(r.expiresAt) { $0.i64(RecordTime.microseconds($1)) }
        }
    }

    struct Reader {
        let bytes: [UInt8]
        var position = 0

        mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard count >= 0, bytes.count - position >= count else { throw Corrupt(description: "record cut short at byte \(position)") }
            defer { position += count }
            return bytes[position..<position + count]
        }
        mutating func u8() throws -> UInt8 { try take(1).first ?? 0 }
        mutating func u32() throws -> UInt32 { try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        mutating func i64() throws -> Int64 { Int64(bitPattern: try take(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }) }
        mutating func int() throws -> Int {
            let value = try i64()
            guard let int = Int(exactly: value) else { throw Corrupt(description: "integer \(value) out of range") }
            return int
        }
        mutating func double() throws -> Double { Double(bitPattern: UInt64(bitPattern: try i64())) }
        mutating func string() throws -> String { String(decoding: try take(Int(try u32())), as: UTF8.self) }
        mutating func optional<T>(_ read: (inout Reader) throws -> T) throws -> T? {
            switch try u8() {
            case 0: return nil
            case 1: return try read(&self)
            case let flag: throw Corrupt(description: "bad presence byte \(flag)")
            }
        }

        mutating func record() throws -> DecisionRecord {
            let version = try u8()
            guard version == RecordCodec.version else { throw Corrupt(description: "record layout version \(version) is unknown") }
            let requestID = try string()
            let index = try int()
            let leadID = try string()
            let time = RecordTime.date(microseconds: try i64())
            let kindText = try string()
            guard let kind = DecisionRecord.Kind(rawValue: kindText) else { throw Corrupt(description: "unknown kind \(kindText)") }
            let caller = try optional { try $0.string() }
            let instance = try string()
            let model = DecisionRecord.Model(id: try string(), version: try string(), role: try string())
            let input = try string()
            let fieldCount = Int(try u32())
            guard fieldCount <= bytes.count - position else { throw Corrupt(description: "too many unknown fields") }
            var fields: [String] = []
            for _ in 0..<fieldCount { fields.append(try string()) }
            let probability = try double()
            let baseScore = try int()
            let finalScore = try int()
            let baseBadge = try string()
            let finalBadge = try string()
            let confidence = try double()
            let explanation = try string()
            let llm = DecisionRecord.LLMStep(
                status: try string(),
                reason: try optional { try $0.string() },
                multiplier: try optional { try $0.double() },
                reasoning: try optional { try $0.string() },
                promptID: try optional { try $0.string() },
                promptVersion: try optional { try $0.string() },
                promptHash: try optional { try $0.string() },
                model: try optional { try $0.string() },
                rawAnswer: try optional { try $0.string() },
                latencyMilliseconds: try optional { try $0.double() },
                tokens: try optional { DecisionRecord.Tokens(prompt: try $0.int(), completion: try $0.int()) }
            )
            let total = try double()
            let expiresAt = try optional { RecordTime.date(microseconds: try $0.i64()) }
            return DecisionRecord(
                requestID: requestID,
                index: index,
                leadID: leadID,
                time: time,
                kind: kind,
                caller: caller,
                gatewayInstance: instance,
                model: model,
                inputJSON: input,
                unknownFields: fields,
                probability: probability,
                baseScore: baseScore,
                finalScore: finalScore,
                baseBadge: baseBadge,
                finalBadge: finalBadge,
                confidence: confidence,
                explanationJSON: explanation,
                llm: llm,
                totalLatencyMilliseconds: total,
                expiresAt: expiresAt
            )
        }
    }
}

/// CRC-32 (IEEE), to tell a whole journal frame from one a crash cut short.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
