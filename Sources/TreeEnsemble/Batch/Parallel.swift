import Dispatch

/// Splits `0 ..< count` into at most `threads` contiguous ranges and runs `body` on each, in parallel,
/// returning when all are done. With one thread (or little work) it runs on the caller's thread.
func forEachChunk(count: Int, threads: Int, minimumChunk: Int = 64, _ body: @Sendable (Range<Int>) -> Void) {
    let chunks = Swift.max(1, Swift.min(threads, (count + minimumChunk - 1) / minimumChunk))
    if chunks == 1 {
        body(0..<count)
        return
    }
    let per = (count + chunks - 1) / chunks
    DispatchQueue.concurrentPerform(iterations: chunks) { k in
        let start = k * per
        let end = Swift.min(count, start + per)
        if start < end { body(start..<end) }
    }
}

/// A raw pointer handed to parallel chunks.
///
/// `@unchecked Sendable` is sound here because each chunk reads shared input that nobody writes
/// while the chunks run, and writes only its own disjoint range of the output; ``forEachChunk`` does
/// not return before every chunk has finished, so the pointers never outlive their buffers.
struct SharedPointer<Element>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
}
