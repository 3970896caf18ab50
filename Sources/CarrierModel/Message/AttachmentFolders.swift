import Foundation

/// Where attachment `path`s may be read from: the message file's folder, and the folders
/// `attachment_folders:` in carrier.yaml adds. A path is resolved with every `..` and symlink
/// followed, and read only when what it finally names is a regular file inside one of them —
/// never a device, FIFO, socket, or a file under `/proc`, `/sys` or `/dev`.
struct AttachmentFolders: Sendable {
    /// The folder relative paths start from.
    let base: String
    /// Every allowed folder, resolved (symlinks followed), each ending in `/`.
    let allowed: [String]
    /// No path is read at all (a message that came over the network names no file of this machine).
    var refusesPaths = false

    /// Folders for a message that may not name files: every `path` is refused.
    static let none: AttachmentFolders = {
        var folders = AttachmentFolders(base: "/", extra: [])
        folders.refusesPaths = true
        return folders
    }()

    /// The root folder is never allowed implicitly (a message read from standard input in a
    /// container often runs in `/`); `attachment_folders:` may still name it.
    init(base: String?, extra: [String]) {
        let base = base ?? FileManager.default.currentDirectoryPath
        self.base = base
        let implicit = (Self.realPath(base) ?? base) == "/" ? [] : [base]
        allowed = (implicit + extra).map { folder in
            let resolved = Self.realPath(folder) ?? folder
            return resolved.hasSuffix("/") ? resolved : resolved + "/"
        }
    }

    /// Pseudo-file systems whose files describe the machine or this process.
    static let forbiddenRoots = ["/proc/", "/sys/", "/dev/"]

    /// The file's bytes, or a problem naming the path and the rule it broke.
    func read(_ path: String) throws(MessageError.Problem) -> Data {
        if refusesPaths {
            throw .init("attachments sent here are given by content, not by path (a path would name a file of the server)",
                        hint: "put the file's bytes in content (base64) instead of path")
        }
        let joined = path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
        guard let resolved = Self.realPath(joined) else {
            throw .init("cannot read '\(path)': \(String(cString: strerror(errno)))", hint: "check that the file exists and is readable")
        }
        if Self.forbiddenRoots.contains(where: { resolved.hasPrefix($0) }) {
            throw .init("'\(path)' resolves to \(resolved), a system file; attachments are never read from /proc, /sys or /dev")
        }
        guard allowed.contains(where: { resolved.hasPrefix($0) }) else {
            let folders = allowed.isEmpty ? "none: the message's folder is /" : allowed.map { String($0.dropLast()) }.joined(separator: ", ")
            throw .init("'\(path)' resolves to \(resolved), outside the folders attachments may come from (\(folders))",
                        hint: "move the file next to the message, or add its folder to attachment_folders: in carrier.yaml")
        }
        // Checked and read through one descriptor, so the file cannot be swapped in between.
        let fd = open(resolved, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            throw .init("cannot read '\(path)': \(String(cString: strerror(errno)))", hint: "check that the file is readable")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw .init("'\(path)' is not a regular file", hint: "attach regular files only (no devices, FIFOs or sockets)")
        }
        do { return try handle.readToEnd() ?? Data() } catch {
            throw .init("cannot read '\(path)': \(error.localizedDescription)", hint: "check that the file is readable")
        }
    }

    /// The absolute path with `.`, `..` and every symlink resolved, or nil when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
