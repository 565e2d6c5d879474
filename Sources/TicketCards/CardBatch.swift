public import Batch
public import TicketCodec

/// A card or sheet slot that was issued.
public struct IssuedCard: Hashable, Sendable {
    /// The row's line number in the CSV; 0 for a card issued on its own.
    public var line: Int
    /// The registrant.
    public var registrant: String
    /// The new ticket's serial.
    public var serial: UInt64
    /// The signed ticket text.
    public var text: String
    /// Where the card is: a PNG file name, or `tickets.pdf#page=3`.
    public var file: String
}

/// What a batch of cards is signed and printed with.
public struct CardBatchSettings: Sendable {
    /// Signs the tickets.
    public var signer: TicketSigner
    /// The issuing day: tickets without dates are valid from it.
    public var today: CalendarDate
    /// Days a ticket without `valid_until` is valid, the first day included.
    public var validityDays: Int
    /// The language printed on the cards.
    public var language: CardLanguage
    /// The PNG cards' print density.
    public var dpi: Int
    /// Parallel jobs.
    public var jobs: Int

    /// Settings with every field given.
    public init(
        signer: TicketSigner, today: CalendarDate, validityDays: Int,
        language: CardLanguage = .indonesian, dpi: Int = 300,
        jobs: Int = ParallelBatch.defaultJobs
    ) {
        self.signer = signer
        self.today = today
        self.validityDays = validityDays
        self.language = language
        self.dpi = dpi
        self.jobs = jobs
    }

    /// The signed card for `request`: its name from the request, else from `names` (the roster).
    /// Both names are checked and normalised by ``FreeText/name(_:)`` here, whatever their
    /// source (a CSV, `--name`, a roster imported by an older version), so no name that could
    /// reorder the card's text or take seconds to lay out is ever drawn.
    func card(for request: IssueRequest, names: [String: String]) throws(CardError) -> TicketCard {
        let ticket = request.ticket(
            serial: TicketSerial.random(), keyID: signer.key.id, today: today,
            validityDays: validityDays)
        let name: String?
        let siteName: String?
        do {
            name = try (request.name ?? names[request.registrant]).map(FreeText.name)
        } catch {
            throw .name(field: "name", error)
        }
        do {
            siteName = try request.siteName.map(FreeText.name)
        } catch {
            throw .name(field: "site_name", error)
        }
        do {
            return try TicketCard(signing: ticket, with: signer, name: name, siteName: siteName)
        } catch {
            throw .ticket(error)
        }
    }
}

/// Signs a batch of CSV rows and prints them: one card PNG per row, or A4 sheets in one PDF.
public enum CardBatch {
    /// Signs and renders every row on all cores, writing one PNG per row (mode 0600, since cards
    /// carry names) into `folder`. `emit` gets each row's result in row order.
    /// - Parameter fileName: the file name for a row's line number and registrant.
    public static func writeCards(
        _ pending: [IssuePlan.Pending], names: [String: String] = [:], settings: CardBatchSettings,
        folder: String,
        fileName: @escaping @Sendable (Int, String) -> String, progress: () -> Void = {},
        emit: (Int, Result<IssuedCard, CardError>) throws(CardError) -> Void
    ) async throws(CardError) {
        // Refuse up front when fonts are missing, rather than failing every row.
        _ = try CardRenderer(language: settings.language)
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        do {
            try await ParallelBatch.run(
                count: pending.count, jobs: settings.jobs,
                makeState: { () -> Result<CardRenderer, CardError> in
                    do throws(CardError) {
                        return .success(try CardRenderer(language: settings.language))
                    } catch {
                        return .failure(error)
                    }
                },
                work: { renderer, index -> Result<IssuedCard, CardError> in
                    do throws(CardError) {
                        return .success(
                            try writeCard(
                                pending[index], renderer: try renderer.get(), names: names,
                                settings: settings, prefix: prefix,
                                fileName: fileName))
                    } catch {
                        return .failure(error)
                    }
                },
                emit: { index, result in
                    progress()
                    try emit(index, result)
                }
            )
        } catch let error as CardError {
            throw error
        } catch {
            throw .write(path: folder, reason: "\(error)")
        }
    }

    private static func writeCard(
        _ row: IssuePlan.Pending, renderer: CardRenderer, names: [String: String],
        settings: CardBatchSettings, prefix: String,
        fileName: (Int, String) -> String
    ) throws(CardError) -> IssuedCard {
        let card = try settings.card(for: row.request, names: names)
        let png = try renderer.png(card, dpi: settings.dpi)
        let name = fileName(row.line, row.request.registrant)
        try write(png, to: prefix + name)
        return IssuedCard(
            line: row.line, registrant: row.request.registrant, serial: card.ticket.serial,
            text: card.text, file: name)
    }

    static func write(_ png: [UInt8], to path: String) throws(CardError) {
        do {
            try FileOutput.write(png, to: path, privateToOwner: true)
        } catch {
            throw .write(path: error.path, reason: error.reason)
        }
    }

    /// Signs every row on all cores, then draws the cards eight to an A4 page into the PDF at
    /// `path`, page by page, so memory holds the signed texts but never more than one page.
    ///
    /// The PDF is whole or nothing: `emit` gets each row's result, in row order, only once the
    /// file is finished, so a failure part way leaves no row marked as issued. `progress` is
    /// called for each row as it is signed or drawn. No rows, or none signed, write no file.
    /// - Parameter batch: the batch's name in every page's footer.
    public static func writeSheets(
        _ pending: [IssuePlan.Pending], names: [String: String] = [:], settings: CardBatchSettings,
        path: String, batch: String,
        progress: () -> Void = {},
        emit: (Int, Result<IssuedCard, CardError>) throws(CardError) -> Void
    ) async throws(CardError) {
        var cards: [Result<TicketCard, CardError>] = []
        cards.reserveCapacity(pending.count)
        await ParallelBatch.run(
            count: pending.count, jobs: settings.jobs, makeState: { () },
            work: { _, index -> Result<TicketCard, CardError> in
                do throws(CardError) {
                    return .success(try settings.card(for: pending[index].request, names: names))
                } catch {
                    return .failure(error)
                }
            },
            emit: { _, card in cards.append(card) }
        )
        // Only signed cards take a slot, so "page N of M" is known before the first page.
        let signed = cards.reduce(0) { count, card in
            if case .success = card { count + 1 } else { count }
        }
        var results: [Result<IssuedCard, CardError>] = []
        results.reserveCapacity(cards.count)
        let file = path.split(separator: "/").last.map(String.init) ?? path
        var signedCards: [TicketCard] = []
        signedCards.reserveCapacity(signed)
        for (index, card) in cards.enumerated() {
            switch card {
            case .failure(let error):
                results.append(.failure(error))
                progress()
            case .success(let card):
                let row = pending[index]
                let page = signedCards.count / SheetGeometry.cardsPerPage + 1
                results.append(
                    .success(
                        IssuedCard(
                            line: row.line, registrant: row.request.registrant,
                            serial: card.ticket.serial, text: card.text,
                            file: "\(file)#page=\(page)")))
                signedCards.append(card)
            }
        }
        if signed > 0 {
            try await drawSheets(
                signedCards, settings: settings, path: path, batch: batch, progress: progress)
        }
        for (index, result) in results.enumerated() { try emit(index, result) }
    }
}

extension CardBatch {
    /// Draws the pages on all cores, each into a recording, and adds them to the PDF in order
    /// on one thread: at most a page per core waits in memory.
    private static func drawSheets(
        _ cards: [TicketCard], settings: CardBatchSettings, path: String, batch: String,
        progress: () -> Void
    ) async throws(CardError) {
        let sheet = try SheetWriter(
            path: path, cardCount: cards.count, batch: batch, language: settings.language)
        let pages = SheetGeometry.pages(for: cards.count)
        var failure: CardError?
        await ParallelBatch.run(
            count: pages, jobs: settings.jobs,
            makeState: { () -> Result<CardRenderer, CardError> in
                do throws(CardError) {
                    return .success(try CardRenderer(language: settings.language))
                } catch {
                    return .failure(error)
                }
            },
            work: { renderer, index -> Result<SheetPage, CardError> in
                let first = index * SheetGeometry.cardsPerPage
                let slice = Array(
                    cards[first..<min(first + SheetGeometry.cardsPerPage, cards.count)])
                do throws(CardError) {
                    return .success(
                        try SheetWriter.page(
                            slice, number: index + 1, of: pages, batch: batch,
                            renderer: try renderer.get()))
                } catch {
                    return .failure(error)
                }
            },
            emit: { _, page in
                guard failure == nil else { return }
                do throws(CardError) {
                    let page = try page.get()
                    try sheet.add(page)
                    for _ in 0..<page.cards { progress() }
                } catch {
                    failure = error
                }
            }
        )
        if let failure { throw failure }
        try sheet.finish()
    }

    /// Signs one card and writes it as a PNG at `path` (mode 0600).
    public static func writeCard(
        _ request: IssueRequest, names: [String: String] = [:], settings: CardBatchSettings,
        to path: String
    ) throws(CardError) -> IssuedCard {
        let card = try settings.card(for: request, names: names)
        let png = try CardRenderer(language: settings.language).png(card, dpi: settings.dpi)
        try write(png, to: path)
        return IssuedCard(
            line: 0, registrant: request.registrant, serial: card.ticket.serial, text: card.text,
            file: path)
    }
}
