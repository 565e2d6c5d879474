import CameraSimulation
import Foundation
import Imaging
import QREncoding
import TestSupport

/// A ticket-like payload: a prefix, then `length` characters drawn from a text alphabet with
/// lower case (so it is stored in 8-bit mode), deterministic for a seed.
func ticketText(seed: UInt64, length: Int = 90) -> String {
    var generator = SeededGenerator(seed: seed &* 7919 &+ 17)
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    let body = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
    return "VT1." + String(body)
}

/// `text` as a clean QR code image, black on white.
func renderedCode(
    _ text: String, modulePixels: Int = 4, quietZone: Int = 4,
    correction: ErrorCorrection = .quartile
) throws
    -> GrayImage
{
    try QRCode(encoding: text, correction: correction).rendered(
        modulePixels: modulePixels, quietZone: quietZone
    ).grayImage
}

/// Clean code images in the product's own forms.
enum QRCodeImages {
    /// `text` as the 1-bit image `vaxticket qr` writes.
    static func bilevel(_ text: String, modulePixels: Int = 4) throws -> BilevelImage {
        try QRCode(encoding: text, correction: .quartile).rendered(
            modulePixels: modulePixels, quietZone: 4)
    }
}

/// Writes `bytes` to `path`.
func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// `image` pasted onto `canvas` with its top-left corner at (`x`, `y`).
func paste(_ image: GrayImage, onto canvas: inout GrayImage, x: Int, y: Int) {
    for row in 0..<image.height where y + row >= 0 && y + row < canvas.height {
        for column in 0..<image.width where x + column >= 0 && x + column < canvas.width {
            canvas[x + column, y + row] = image[column, row]
        }
    }
}
