import CPangoCairo
public import Imaging

/// An error reported by Cairo or Pango, with the library's own message.
public struct GraphicsError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The library that failed: `cairo` or `pango`.
    public var library: String
    /// The library's message (Cairo's `cairo_status_to_string`).
    public var message: String

    /// An error from `library` with `message`.
    public init(library: String, message: String) {
        self.library = library
        self.message = message
    }

    public var description: String { "\(library): \(message)" }

    static func cairo(_ status: cairo_status_t) -> GraphicsError {
        GraphicsError(
            library: "cairo", message: unsafe String(cString: cairo_status_to_string(status)))
    }
}

/// A rectangle in a canvas's user units.
public struct Rectangle: Hashable, Sendable {
    /// Left edge.
    public var x: Double
    /// Top edge.
    public var y: Double
    /// Width.
    public var width: Double
    /// Height.
    public var height: Double

    /// A rectangle with every field given.
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// The right edge.
    public var maxX: Double { x + width }
    /// The bottom edge.
    public var maxY: Double { y + height }

    /// Whether `other` lies inside this rectangle, allowing `tolerance` on every side.
    public func contains(_ other: Rectangle, tolerance: Double = 0) -> Bool {
        other.x >= x - tolerance && other.y >= y - tolerance && other.maxX <= maxX + tolerance
            && other.maxY <= maxY + tolerance
    }

    /// Whether the two rectangles share any area.
    public func intersects(_ other: Rectangle) -> Bool {
        x < other.maxX && other.x < maxX && y < other.maxY && other.y < maxY
    }
}

/// A Cairo drawing context and the surface it draws on: an in-memory raster image or a page of
/// a ``PDFDocument``. Not thread-safe: one canvas per thread.
///
/// Raster canvases are 24-bit RGB with gray antialiasing, so every pixel that is drawn in grays
/// stays gray and ``grayImage()`` can read one channel.
@safe public final class Canvas {
    /// The `cairo_t`; owned, destroyed in `deinit`.
    let context: OpaquePointer
    /// The `cairo_surface_t`; owned (one reference), destroyed in `deinit` after the context.
    let surface: OpaquePointer
    /// The Pango context text layouts on this canvas share; owned, unreferenced in `deinit`.
    let pango: OpaquePointer
    private let isRaster: Bool

    /// A white raster canvas of `width` by `height` pixels.
    public convenience init(width: Int, height: Int) throws(GraphicsError) {
        guard (1...32_767).contains(width), (1...32_767).contains(height) else {
            throw GraphicsError(
                library: "cairo", message: "image size \(width)x\(height) is outside 1...32767")
        }
        let surface = unsafe cairo_image_surface_create(
            CAIRO_FORMAT_RGB24, Int32(width), Int32(height))
        try unsafe self.init(surface: surface, raster: true)
        setGray(1)
        unsafe cairo_paint(context)
    }

    /// A canvas that records what is drawn on it, `width` by `height` user units, for painting
    /// onto another canvas later (see ``Recording``): drawing can then be done on other threads
    /// than the one writing the PDF.
    public static func recording(width: Double, height: Double) throws(GraphicsError) -> Canvas {
        var extents = cairo_rectangle_t(x: 0, y: 0, width: width, height: height)
        let surface = unsafe cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, &extents)
        return try unsafe Canvas(surface: surface, raster: false)
    }

    /// What has been drawn on this recording canvas, to paint elsewhere; the canvas should not be
    /// drawn on afterwards.
    public func recorded() throws(GraphicsError) -> Recording {
        try check()
        unsafe cairo_surface_flush(surface)
        return unsafe Recording(surface: surface)
    }

    /// Paints `recording` with its origin at this canvas's origin. In a PDF, a recording becomes a
    /// form of vector drawing and text, not pixels.
    public func paint(_ recording: Recording) {
        unsafe cairo_set_source_surface(context, recording.surface, 0, 0)
        unsafe cairo_paint(context)
        // Drop the source's reference to the recording and go back to plain colour.
        setGray(0)
    }

    /// Takes over `surface` (one reference), checking its status first.
    init(surface: OpaquePointer?, raster: Bool) throws(GraphicsError) {
        guard let surface = unsafe surface else {
            throw GraphicsError(library: "cairo", message: "no surface")
        }
        let status = unsafe cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            unsafe cairo_surface_destroy(surface)
            throw .cairo(status)
        }
        // cairo_create never returns NULL; a failure is a context in an error state.
        let context = unsafe cairo_create(surface)
        guard let context = unsafe context, unsafe cairo_status(context) == CAIRO_STATUS_SUCCESS
        else {
            let failure = unsafe context.map { unsafe cairo_status($0) } ?? CAIRO_STATUS_NO_MEMORY
            unsafe context.map { unsafe cairo_destroy($0) }
            unsafe cairo_surface_destroy(surface)
            throw .cairo(failure)
        }
        // Each thread has its own default font map (Pango 1.32+), so canvases on different
        // threads never share one. Hinting off keeps text metrics the same at every resolution,
        // so a layout measured for a PNG is the layout printed in the PDF.
        let fontMap = unsafe pango_cairo_font_map_get_default()
        guard let pango = unsafe pango_font_map_create_context(fontMap) else {
            unsafe cairo_destroy(context)
            unsafe cairo_surface_destroy(surface)
            throw GraphicsError(library: "pango", message: "cannot create a context")
        }
        let options = unsafe cairo_font_options_create()
        unsafe cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
        unsafe cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE)
        unsafe cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY)
        // Pango copies the options, so ours are freed straight away.
        unsafe pango_cairo_context_set_font_options(pango, options)
        unsafe cairo_font_options_destroy(options)
        // Pango rounds glyph positions to whole user units by default, which on a canvas in
        // millimetres scatters the letters; keep them exact.
        unsafe pango_context_set_round_glyph_positions(pango, 0)
        unsafe cairo_set_antialias(context, CAIRO_ANTIALIAS_GRAY)
        unsafe self.context = context
        unsafe self.surface = surface
        unsafe self.pango = pango
        self.isRaster = raster
    }

    deinit {
        unsafe g_object_unref(UnsafeMutableRawPointer(pango))
        unsafe cairo_destroy(context)
        unsafe cairo_surface_destroy(surface)
    }

    /// The first error the context or surface ran into, if any.
    public func check() throws(GraphicsError) {
        let status = unsafe cairo_status(context)
        guard status == CAIRO_STATUS_SUCCESS else { throw .cairo(status) }
        let surfaceStatus = unsafe cairo_surface_status(surface)
        guard surfaceStatus == CAIRO_STATUS_SUCCESS else { throw .cairo(surfaceStatus) }
    }

    /// Saves the transformation, colour and clip; ``restore()`` brings them back.
    public func save() { unsafe cairo_save(context) }

    /// Restores what the last ``save()`` saved.
    public func restore() { unsafe cairo_restore(context) }

    /// Runs `body` between ``save()`` and ``restore()``.
    public func saving<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        save()
        defer { restore() }
        return try body()
    }

    /// Moves the origin.
    public func translate(x: Double, y: Double) { unsafe cairo_translate(context, x, y) }

    /// Scales user units, e.g. to millimetres.
    public func scale(x: Double, y: Double) { unsafe cairo_scale(context, x, y) }

    /// Sets the colour for filling, stroking and text: 0 black, 1 white.
    public func setGray(_ level: Double) {
        unsafe cairo_set_source_rgb(context, level, level, level)
    }

    /// Sets whether shapes are antialiased; off gives crisp pixel-aligned rectangles.
    public func setAntialiased(_ on: Bool) {
        unsafe cairo_set_antialias(context, on ? CAIRO_ANTIALIAS_GRAY : CAIRO_ANTIALIAS_NONE)
    }

    /// Adds a rectangle to the current path.
    public func addRectangle(_ rectangle: Rectangle) {
        unsafe cairo_rectangle(context, rectangle.x, rectangle.y, rectangle.width, rectangle.height)
    }

    /// Adds a rectangle with rounded corners of `radius` to the current path.
    public func addRoundedRectangle(_ rectangle: Rectangle, radius: Double) {
        let r = min(radius, rectangle.width / 2, rectangle.height / 2)
        let (x0, y0, x1, y1) = (rectangle.x, rectangle.y, rectangle.maxX, rectangle.maxY)
        unsafe cairo_new_sub_path(context)
        unsafe cairo_arc(context, x1 - r, y0 + r, r, -Double.pi / 2, 0)
        unsafe cairo_arc(context, x1 - r, y1 - r, r, 0, Double.pi / 2)
        unsafe cairo_arc(context, x0 + r, y1 - r, r, Double.pi / 2, Double.pi)
        unsafe cairo_arc(context, x0 + r, y0 + r, r, Double.pi, 3 * Double.pi / 2)
        unsafe cairo_close_path(context)
    }

    /// Adds a straight line segment to the current path.
    public func addLine(from start: (x: Double, y: Double), to end: (x: Double, y: Double)) {
        unsafe cairo_move_to(context, start.x, start.y)
        unsafe cairo_line_to(context, end.x, end.y)
    }

    /// Fills the current path and clears it.
    public func fill() { unsafe cairo_fill(context) }

    /// Strokes the current path with lines `width` user units wide and clears it.
    public func stroke(width: Double) {
        unsafe cairo_set_line_width(context, width)
        unsafe cairo_stroke(context)
    }

    /// Restricts drawing to the current path and clears it.
    public func clip() { unsafe cairo_clip(context) }

    /// Fills many rectangles as one path: one fill operation, so a QR code is one vector shape.
    public func fill(_ rectangles: [Rectangle]) {
        for rectangle in rectangles { addRectangle(rectangle) }
        fill()
    }

    /// Draws `layout` with its top-left corner at `x`, `y`.
    public func draw(_ layout: TextLayout, x: Double, y: Double) {
        unsafe cairo_move_to(context, x, y)
        unsafe pango_cairo_show_layout(context, layout.layout)
    }

    /// The raster canvas's pixels as 8-bit gray (the green channel of what was drawn in grays).
    public func grayImage() throws(GraphicsError) -> GrayImage {
        guard isRaster else {
            throw GraphicsError(library: "cairo", message: "a PDF page has no pixels")
        }
        try check()
        unsafe cairo_surface_flush(surface)
        let width = Int(unsafe cairo_image_surface_get_width(surface))
        let height = Int(unsafe cairo_image_surface_get_height(surface))
        let stride = Int(unsafe cairo_image_surface_get_stride(surface))
        guard let data = unsafe cairo_image_surface_get_data(surface) else {
            throw GraphicsError(library: "cairo", message: "the image surface has no data")
        }
        // The surface owns `data` for as long as this canvas lives; it is only read here. RGB24
        // pixels are native-endian 32-bit words 0x00RRGGBB.
        var pixels = [UInt8](repeating: 255, count: width * height)
        unsafe pixels.withUnsafeMutableBufferPointer { out in
            for y in 0..<height {
                let row = unsafe UnsafeRawPointer(data + y * stride).assumingMemoryBound(
                    to: UInt32.self)
                for x in 0..<width {
                    unsafe out[y * width + x] = UInt8(truncatingIfNeeded: unsafe row[x] >> 8)
                }
            }
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }
}

/// Drawing recorded on one thread for painting on another: a Cairo recording surface, no longer
/// drawn on once made, so painting it from any one thread at a time is safe.
@safe public final class Recording: @unchecked Sendable {
    /// The recording `cairo_surface_t`; one reference owned, released in `deinit`.
    let surface: OpaquePointer

    init(surface: OpaquePointer) {
        unsafe self.surface = unsafe cairo_surface_reference(surface)
    }

    deinit { unsafe cairo_surface_destroy(surface) }
}
