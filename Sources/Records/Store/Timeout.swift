/// Runs `operation`, failing with ``RecordsError/Code/unavailable`` when it takes longer than
/// `timeout`. The operation is cancelled then (postgres-nio gives up waiting for a connection on
/// cancellation), so a database that does not answer cannot hold the caller.
func withTimeout<T: Sendable>(
    _ timeout: Duration,
    _ what: String,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw RecordsError(.unavailable, "\(what) took longer than \(timeout)")
        }
        return value
    }
}
