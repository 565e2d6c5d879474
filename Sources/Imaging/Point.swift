/// A point in image coordinates: `x` to the right, `y` down, in pixels.
public struct Point: Hashable, Sendable {
    /// Column.
    public var x: Double
    /// Row.
    public var y: Double

    /// A point at (`x`, `y`).
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    /// The sum of two points taken as vectors.
    public static func + (a: Point, b: Point) -> Point { Point(x: a.x + b.x, y: a.y + b.y) }
    /// The difference of two points, as a vector.
    public static func - (a: Point, b: Point) -> Point { Point(x: a.x - b.x, y: a.y - b.y) }
    /// A vector scaled by `k`.
    public static func * (a: Point, k: Double) -> Point { Point(x: a.x * k, y: a.y * k) }
    /// The length of the point taken as a vector from the origin.
    public var length: Double { (x * x + y * y).squareRoot() }
}
