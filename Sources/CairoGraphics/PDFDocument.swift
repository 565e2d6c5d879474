import CPangoCairo
import SystemPackage

/// A PDF file written page by page: each finished page goes to the file, so a document of
/// thousands of pages never sits in memory whole.
///
/// Cairo writes through a callback into a file this class opens itself, so the file gets the
/// permissions asked for (0600 for pages holding personal data) and a failed write is reported
/// with the system's message.
@safe public final class PDFDocument {
    /// The canvas of the current page, in points (1/72 inch) from the top-left corner.
    public let canvas: Canvas
    private let sink: Sink
    private var finished = false

    /// Creates `path` and starts a document whose pages are `width` by `height` points.
    /// - Parameter privateToOwner: create the file with mode 0600 instead of 0644.
    public init(
        path: String, width: Double, height: Double, privateToOwner: Bool, title: String? = nil
    ) throws(GraphicsError) {
        let permissions: FilePermissions =
            privateToOwner ? [.ownerReadWrite] : [.ownerReadWrite, .groupRead, .otherRead]
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(
                FilePath(path), .writeOnly, options: [.create, .truncate], permissions: permissions,
                retryOnInterrupt: true)
        } catch {
            throw GraphicsError(library: "cairo", message: "cannot create \(path): \(error)")
        }
        let sink = Sink(descriptor: descriptor)
        // The surface holds an unretained pointer to the sink; the sink is kept alive by this
        // document, which destroys the surface (in its canvas) before the sink can go.
        let surface = unsafe cairo_pdf_surface_create_for_stream(
            writeToSink, Unmanaged.passUnretained(sink).toOpaque(), width, height)
        do {
            self.canvas = try unsafe Canvas(surface: surface, raster: false)
        } catch {
            try? descriptor.close()
            throw error
        }
        self.sink = sink
        if let title {
            unsafe cairo_pdf_surface_set_metadata(canvas.surface, CAIRO_PDF_METADATA_TITLE, title)
        }
        unsafe cairo_pdf_surface_set_metadata(
            canvas.surface, CAIRO_PDF_METADATA_CREATOR, "VaxTicket")
    }

    deinit {
        if !finished {
            unsafe cairo_surface_finish(canvas.surface)
            try? sink.descriptor.close()
        }
    }

    /// Ends the current page (it is written out) and starts a new blank one.
    public func showPage() throws(GraphicsError) {
        unsafe cairo_show_page(canvas.context)
        try check()
    }

    /// Writes the document's trailer and closes the file. Call once, after the last ``showPage()``.
    public func finish() throws(GraphicsError) {
        guard !finished else { return }
        finished = true
        unsafe cairo_surface_finish(canvas.surface)
        let status = unsafe cairo_surface_status(canvas.surface)
        var closeError: (any Error)?
        do { try sink.descriptor.close() } catch { closeError = error }
        try check(status)
        if let closeError {
            throw GraphicsError(library: "cairo", message: "cannot close the PDF: \(closeError)")
        }
    }

    private func check(_ status: cairo_status_t? = nil) throws(GraphicsError) {
        if let failure = sink.failure {
            throw GraphicsError(library: "cairo", message: "cannot write the PDF: \(failure)")
        }
        let status = unsafe status ?? cairo_surface_status(canvas.surface)
        guard status == CAIRO_STATUS_SUCCESS else { throw .cairo(status) }
        try canvas.check()
    }

    /// The file Cairo's callback writes to, and the first write error.
    final class Sink {
        let descriptor: FileDescriptor
        var failure: String?

        init(descriptor: FileDescriptor) { self.descriptor = descriptor }
    }
}

/// Cairo's write callback: `closure` is the document's `Sink`, `data` holds `length` bytes that
/// Cairo owns until the callback returns.
private func writeToSink(
    _ closure: UnsafeMutableRawPointer?, _ data: UnsafePointer<UInt8>?, _ length: UInt32
) -> cairo_status_t {
    guard let closure = unsafe closure else { return CAIRO_STATUS_WRITE_ERROR }
    let sink = unsafe Unmanaged<PDFDocument.Sink>.fromOpaque(closure).takeUnretainedValue()
    guard sink.failure == nil else { return CAIRO_STATUS_WRITE_ERROR }
    guard length > 0, let data = unsafe data else { return CAIRO_STATUS_SUCCESS }
    do {
        _ = try unsafe sink.descriptor.writeAll(
            UnsafeRawBufferPointer(start: data, count: Int(length)))
        return CAIRO_STATUS_SUCCESS
    } catch {
        sink.failure = "\(error)"
        return CAIRO_STATUS_WRITE_ERROR
    }
}
