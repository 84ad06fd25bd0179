import Dispatch

/// `body(0..<count)` on up to `threads` threads, results in index order.
///
/// Blocks the calling thread; call it from a dispatch queue, not from the cooperative pool.
public func parallelMap<T: Sendable>(count: Int, threads: Int, minimumChunk: Int = 32, _ body: @Sendable (Int) -> T) -> [T] {
    guard count > 0 else { return [] }
    let chunks = Swift.max(1, Swift.min(threads, (count + minimumChunk - 1) / minimumChunk))
    if chunks == 1 { return (0..<count).map(body) }
    let results = UnsafeMutableBufferPointer<T>.allocate(capacity: count)
    defer { results.deallocate() }
    let shared = SharedResults(base: results)
    let size = (count + chunks * 4 - 1) / (chunks * 4)
    let pieces = (count + size - 1) / size
    DispatchQueue.concurrentPerform(iterations: pieces) { piece in
        let start = piece * size
        for i in start..<Swift.min(count, start + size) { (shared.base.baseAddress! + i).initialize(to: body(i)) }
    }
    let array = Array(results)
    _ = results.deinitialize()
    return array
}

/// Each index is written by exactly one iteration of `concurrentPerform`, and read only after it
/// returns, so sharing the buffer across its threads is race-free.
private struct SharedResults<T>: @unchecked Sendable {
    let base: UnsafeMutableBufferPointer<T>
}
