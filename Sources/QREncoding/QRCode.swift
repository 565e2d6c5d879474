import CQREncode
public import Imaging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A QR code error-correction level.
public enum ErrorCorrection: String, CaseIterable, Sendable {
    /// About 7% of codewords can be restored.
    case low = "L"
    /// About 15%.
    case medium = "M"
    /// About 25%.
    case quartile = "Q"
    /// About 30%.
    case high = "H"

    var level: QRecLevel {
        switch self {
        case .low: QR_ECLEVEL_L
        case .medium: QR_ECLEVEL_M
        case .quartile: QR_ECLEVEL_Q
        case .high: QR_ECLEVEL_H
        }
    }
}

/// Why libqrencode could not encode a payload.
public enum QREncodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The payload does not fit in a version-40 symbol at this error-correction level.
    case tooLong(bytes: Int, correction: ErrorCorrection)
    /// The payload is empty.
    case empty
    /// libqrencode failed for another reason, with its `errno` text.
    case library(String)

    public var description: String {
        switch self {
        case .tooLong(let bytes, let correction):
            "payload of \(bytes) bytes is too long for a QR code at error correction \(correction.rawValue)"
        case .empty: "payload is empty"
        case .library(let message): "libqrencode: \(message)"
        }
    }
}

/// A QR code symbol: its version and its square of modules.
public struct QRCode: Hashable, Sendable {
    /// The symbol version, 1 to 40.
    public let version: Int
    /// Modules per side: `17 + 4 * version`.
    public let size: Int
    /// `size * size` modules, row-major; `true` is dark.
    public let modules: [Bool]

    /// Encodes text with libqrencode's mode optimisation, so digits are stored in numeric mode
    /// and runs of uppercase letters, digits and ` $%*+-./:` in alphanumeric mode.
    public init(encoding text: String, correction: ErrorCorrection = .quartile)
        throws(QREncodingError)
    {
        try self.init(encoding: Array(text.utf8), correction: correction)
    }

    /// Encodes bytes. Without a 0x00 byte the mode optimisation applies as for text; a payload
    /// with 0x00 bytes is stored whole in 8-bit mode.
    public init(encoding bytes: [UInt8], correction: ErrorCorrection = .quartile)
        throws(QREncodingError)
    {
        guard !bytes.isEmpty else { throw .empty }
        let result: UnsafeMutablePointer<QRcode>?
        if bytes.contains(0) {
            unsafe result = unsafe bytes.withUnsafeBufferPointer { buffer in
                unsafe QRcode_encodeData(
                    Int32(buffer.count), buffer.baseAddress, 0, correction.level)
            }
        } else {
            // QRcode_encodeString reads a NUL-terminated string; the copy below adds the NUL.
            let terminated = bytes.map { CChar(bitPattern: $0) } + [0]
            unsafe result = unsafe terminated.withUnsafeBufferPointer { buffer in
                unsafe QRcode_encodeString(buffer.baseAddress, 0, correction.level, QR_MODE_8, 1)
            }
        }
        guard let code = unsafe result else {
            let code = errno
            if code == ERANGE { throw .tooLong(bytes: bytes.count, correction: correction) }
            throw unsafe .library(String(cString: strerror(code)))
        }
        // The QRcode belongs to us: copy the modules out, then free it exactly once.
        defer { unsafe QRcode_free(code) }
        let width = Int(unsafe code.pointee.width)
        // Only bit 0 of each module byte is its colour; the other bits describe its role.
        let data = unsafe UnsafeBufferPointer(start: code.pointee.data, count: width * width)
        self.version = Int(unsafe code.pointee.version)
        self.size = width
        self.modules = unsafe data.map { $0 & 1 == 1 }
    }

    /// Whether the module at column `x`, row `y` is dark.
    public func isDark(_ x: Int, _ y: Int) -> Bool { modules[y * size + x] }

    /// The symbol drawn black on white, `modulePixels` pixels a module, with a white border of
    /// `quietZone` modules on each side.
    public func rendered(modulePixels: Int = 4, quietZone: Int = 4) -> BilevelImage {
        precondition(modulePixels > 0 && quietZone >= 0, "module size must be positive")
        let side = (size + 2 * quietZone) * modulePixels
        let rowBytes = (side + 7) / 8
        var bits = [UInt8](repeating: 0xFF, count: rowBytes * side)
        var row = [UInt8](repeating: 0xFF, count: rowBytes)
        for my in 0..<size {
            for i in 0..<rowBytes { row[i] = 0xFF }
            for mx in 0..<size where modules[my * size + mx] {
                let start = (mx + quietZone) * modulePixels
                for x in start..<(start + modulePixels) {
                    row[x >> 3] &= ~(0x80 >> UInt8(x & 7))
                }
            }
            let firstLine = (my + quietZone) * modulePixels
            for line in firstLine..<(firstLine + modulePixels) {
                bits.replaceSubrange(line * rowBytes..<(line + 1) * rowBytes, with: row)
            }
        }
        return BilevelImage(width: side, height: side, bits: bits)
    }
}
