import Foundation
import Synchronization

/// The recorder's local journal: batches the store could not take, appended as frames and fsync'd
/// one batch at a time, replayed in order when the store is back, then truncated.
///
/// A frame is `"LGJ1"`, the payload length (UInt32 LE), the payload's CRC-32 (UInt32 LE), and the
/// payload (``RecordCodec``). Opening the file scans it: a frame cut short or damaged by a crash
/// during its write (its batch never reached the disk as a whole, so it was never acknowledged as
/// journaled) ends the journal there, and the file is truncated to the last whole frame.
///
/// Only the recorder's run loop uses a journal, one call at a time; the state sits in a `Mutex` so
/// the type is Sendable (the file calls block, and run on NIO's thread pool, see ``Recorder``).
final class Journal: Sendable {
    static let magic: [UInt8] = Array("LGJ1".utf8)
    static let headerSize = 12

    struct State {
        var descriptor: Int32
        /// Bytes of whole frames in the file.
        var size: Int
        /// Records in the file (whole frames).
        var records: Int
    }

    struct Frame {
        var records: [DecisionRecord]
        /// Where the next frame starts.
        var next: Int
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let path: String
    private let state: Mutex<State>
    /// Bytes dropped at open because the tail was not a whole frame.
    let discardedTailBytes: Int

    init(path: String) throws {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot open the records journal \(path): \(String(cString: strerror(errno)))") }
        // One recorder per journal: a second process (another gateway given the same path) is refused
        // instead of interleaving frames. The lock goes with the descriptor.
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw Failure(
                description: "the records journal \(path) is in use by another process; give each gateway its own records.journal_path")
        }
        // Scan: find the end of the last whole frame.
        var offset = 0
        var records = 0
        while true {
            do {
                guard let frame = try Self.readFrame(fd, at: offset) else { break }
                records += frame.records.count
                offset = frame.next
            } catch {
                break
            }
        }
        var status = stat()
        let fileSize = fstat(fd, &status) == 0 ? Int(status.st_size) : offset
        discardedTailBytes = max(0, fileSize - offset)
        if fileSize != offset {
            guard ftruncate(fd, off_t(offset)) == 0, fsync(fd) == 0 else {
                close(fd)
                throw Failure(description: "cannot truncate the damaged tail of the records journal \(path)")
            }
        }
        state = Mutex(State(descriptor: fd, size: offset, records: records))
    }

    deinit {
        _ = state.withLock { close($0.descriptor) }
    }

    var size: Int { state.withLock { $0.size } }
    var records: Int { state.withLock { $0.records } }

    /// The bytes a frame of `payload` bytes takes.
    static func frameSize(payload: Int) -> Int { headerSize + payload }

    /// Appends one batch as one frame and fsyncs it.
    func append(payload: [UInt8], records count: Int) throws {
        var frame = Self.magic
        frame.reserveCapacity(Self.headerSize + payload.count)
        withUnsafeBytes(of: UInt32(payload.count).littleEndian) { frame.append(contentsOf: $0) }
        withUnsafeBytes(of: CRC32.checksum(payload).littleEndian) { frame.append(contentsOf: $0) }
        frame += payload
        try state.withLock { state in
            var written = 0
            while written < frame.count {
                let n = frame.withUnsafeBytes { buffer in
                    guard let base = buffer.baseAddress else { return 0 }
                    return pwrite(state.descriptor, base + written, frame.count - written, off_t(state.size + written))
                }
                if n < 0 {
                    if errno == EINTR { continue }
                    let reason = String(cString: strerror(errno))
                    _ = ftruncate(state.descriptor, off_t(state.size))
                    throw Failure(description: "cannot write the records journal \(path): \(reason)")
                }
                written += n
            }
            guard fsync(state.descriptor) == 0 else {
                _ = ftruncate(state.descriptor, off_t(state.size))
                throw Failure(description: "cannot fsync the records journal \(path): \(String(cString: strerror(errno)))")
            }
            state.size += frame.count
            state.records += count
        }
    }

    /// The frame at `offset`, or nil at the end.
    func frame(at offset: Int) throws -> Frame? {
        try state.withLock { state in
            guard offset < state.size else { return nil }
            return try Self.readFrame(state.descriptor, at: offset)
        }
    }

    /// Empties the journal (everything in it is in the store).
    func reset() throws {
        try state.withLock { state in
            guard ftruncate(state.descriptor, 0) == 0, fsync(state.descriptor) == 0 else {
                throw Failure(description: "cannot truncate the records journal \(path): \(String(cString: strerror(errno)))")
            }
            state.size = 0
            state.records = 0
        }
    }

    private static func readFrame(_ fd: Int32, at offset: Int) throws -> Frame? {
        guard let header = try read(fd, at: offset, count: headerSize) else { return nil }
        guard Array(header[0..<4]) == magic else { throw Failure(description: "no frame at byte \(offset)") }
        let length = Int(header[4..<8].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        let checksum = header[8..<12].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard let payload = try read(fd, at: offset + headerSize, count: length) else {
            throw Failure(description: "frame at byte \(offset) is cut short")
        }
        guard CRC32.checksum(payload) == checksum else { throw Failure(description: "frame at byte \(offset) fails its checksum") }
        return Frame(records: try RecordCodec.decode(payload), next: offset + headerSize + length)
    }

    /// Exactly `count` bytes at `offset`; nil when the file ends first.
    private static func read(_ fd: Int32, at offset: Int, count: Int) throws -> [UInt8]? {
        // A damaged length must not make us allocate more than the file holds.
        var status = stat()
        guard fstat(fd, &status) == 0, offset + count <= Int(status.st_size) else { return nil }
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { buffer in
                guard let base = buffer.baseAddress else { return 0 }
                return pread(fd, base + done, count - done, off_t(offset + done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot read the records journal: \(String(cString: strerror(errno)))")
            }
            if n == 0 { return nil }
            done += n
        }
        return bytes
    }
}
