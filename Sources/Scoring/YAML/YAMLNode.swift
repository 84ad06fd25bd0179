public import Yams

/// A problem in a configuration or manifest file, naming the key and the fix.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The dotted key (`fields.pricing_page_views.min`), or the file when the file itself is wrong.
    public var key: String
    /// What is wrong and how to fix it, as whole sentences.
    public var message: String

    public init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { "`\(key)`: \(message)" }
}

/// A YAML node with the dotted path that led to it, so every error names its key.
public struct YAMLNode {
    public let node: Node
    public let path: String

    public init(_ node: Node, path: String) {
        self.node = node
        self.path = path
    }

    /// Parses a whole YAML document; an empty document is an empty mapping.
    public static func parse(_ text: String, file: String) throws(ConfigurationError) -> YAMLNode {
        do {
            let node = try Yams.compose(yaml: text) ?? Node.mapping(Node.Mapping([]))
            return YAMLNode(node, path: "")
        } catch {
            throw ConfigurationError(key: file, "is not valid YAML (\(error)). Fix the syntax at the position shown.")
        }
    }

    private func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func error(_ message: String) -> ConfigurationError { ConfigurationError(key: path.isEmpty ? "(top level)" : path, message) }

    /// The value at `key` of this mapping, when present and not null.
    public subscript(key: String) -> YAMLNode? {
        // Compare key text, not nodes: a quoted "true" key and a plain true key both mean `true`.
        guard let mapping = node.mapping, let value = mapping.first(where: { $0.key.string == key })?.value else { return nil }
        if case .scalar(let s) = value, s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) {
            return nil
        }
        return YAMLNode(value, path: child(key))
    }

    public func required(_ key: String) throws(ConfigurationError) -> YAMLNode {
        guard let value = self[key] else {
            throw ConfigurationError(key: child(key), "is required. Add it to the file.")
        }
        return value
    }

    /// The keys and values of a mapping, in file order.
    public func entries() throws(ConfigurationError) -> [(key: String, value: YAMLNode)] {
        guard let mapping = node.mapping else { throw error("must be a mapping of keys to values.") }
        var result: [(String, YAMLNode)] = []
        for (k, v) in mapping {
            guard let name = k.string else { throw error("has a key that is not a string.") }
            result.append((name, YAMLNode(v, path: child(name))))
        }
        return result
    }

    /// Rejects keys not in `known`, so a typo never silently does nothing.
    public func checkKeys(_ known: Set<String>) throws(ConfigurationError) {
        for (key, _) in try entries() where !known.contains(key) {
            throw ConfigurationError(
                key: child(key), "is not a known key. Remove it or use one of: \(known.sorted().joined(separator: ", ")).")
        }
    }

    public func elements() throws(ConfigurationError) -> [YAMLNode] {
        guard let sequence = node.sequence else { throw error("must be a list.") }
        return sequence.enumerated().map { YAMLNode($1, path: "\(path)[\($0)]") }
    }

    public func string() throws(ConfigurationError) -> String {
        guard let scalar = node.scalar else { throw error("must be a string.") }
        return scalar.string
    }

    public func int() throws(ConfigurationError) -> Int {
        guard let value = node.int else { throw error("must be an integer, not `\(node.string ?? "a collection")`.") }
        return value
    }

    public func double() throws(ConfigurationError) -> Double {
        guard let value = node.float, value.isFinite else {
            throw error("must be a finite number, not `\(node.string ?? "a collection")`.")
        }
        return value
    }

    public func bool() throws(ConfigurationError) -> Bool {
        guard let value = node.bool else { throw error("must be true or false, not `\(node.string ?? "a collection")`.") }
        return value
    }

    public func strings() throws(ConfigurationError) -> [String] {
        var result: [String] = []
        for element in try elements() { result.append(try element.string()) }
        return result
    }
}
