import HTTPTypes
import Hummingbird
import NIOCore

/// The page officers open on their phones: plain HTML, CSS and a little JavaScript, served
/// from the binary, no build step.
///
/// It signs in with an officer token (kept in the tab's session storage), scans live with the
/// browser's `BarcodeDetector` where there is one and sends the ticket text, else takes a photo
/// and uploads it, then shows a large green or red answer with a beep and a vibration. For
/// tests and demos, `#token=…&lot=…&ticket=…` in the address signs in and sends that ticket
/// text at once; the fragment never reaches the server or its logs.
enum PhonePage {
    static func response() -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy:
                    "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>VaxTicket scanner</title>
        <style>
          * { box-sizing: border-box; }
          body { margin: 0; font: 18px/1.4 system-ui, -apple-system, "DejaVu Sans", sans-serif; background: #f4f4f4; color: #111; }
          header { background: #0b3d66; color: #fff; padding: 10px 14px; display: flex; justify-content: space-between; align-items: center; }
          header h1 { font-size: 20px; margin: 0; }
          main { padding: 14px; max-width: 560px; margin: 0 auto; }
          label { display: block; font-weight: 600; margin: 12px 0 4px; }
          input[type=text], input[type=password] { width: 100%; font-size: 20px; padding: 10px; border: 1px solid #888; border-radius: 6px; }
          button, .button { display: block; width: 100%; font-size: 22px; padding: 16px; margin: 12px 0; border: 0; border-radius: 8px; background: #0b3d66; color: #fff; text-align: center; }
          button.secondary { background: #666; font-size: 18px; padding: 10px; }
          #signout { width: auto; margin: 0; padding: 6px 10px; font-size: 14px; background: #335; }
          .hidden { display: none !important; }
          video { width: 100%; border-radius: 8px; background: #000; }
          #result { border-radius: 12px; padding: 18px; color: #fff; margin-top: 8px; }
          #result.ok { background: #11802b; }
          #result.refused { background: #b3141b; }
          #result.error { background: #555; }
          #verdict { font-size: 34px; font-weight: 800; margin: 0 0 8px; }
          #reason { font-size: 19px; margin: 0 0 12px; }
          #details { margin: 0; display: grid; grid-template-columns: auto 1fr; gap: 4px 12px; font-size: 18px; }
          #details dt { font-weight: 600; opacity: 0.85; }
          #details dd { margin: 0; }
          #status { color: #444; min-height: 1.4em; }
        </style>
        </head>
        <body>
        <header><h1>VaxTicket scanner</h1><button id="signout" class="hidden" type="button">Sign out</button></header>
        <main>
          <form id="signin">
            <label for="token">Officer token</label>
            <input id="token" type="password" autocomplete="off" placeholder="vt_…" required>
            <button type="submit">Sign in</button>
            <p id="signin-error" role="alert"></p>
          </form>

          <section id="scanner" class="hidden">
            <p id="officer"></p>
            <label for="lot">Vial lot number</label>
            <input id="lot" type="text" autocomplete="off" placeholder="e.g. A123">
            <button id="live" type="button" class="hidden">Scan with camera</button>
            <video id="video" class="hidden" playsinline muted></video>
            <label class="button" for="photo">Take a photo of the ticket</label>
            <input id="photo" class="hidden" type="file" accept="image/*" capture="environment">
            <p id="status" aria-live="polite"></p>
          </section>

          <section id="answer" class="hidden" aria-live="assertive">
            <div id="result">
              <p id="verdict"></p>
              <p id="reason"></p>
              <dl id="details"></dl>
            </div>
            <button id="next" type="button">Scan next ticket</button>
          </section>
        </main>
        <script>
        "use strict";
        const $ = (id) => document.getElementById(id);
        const store = window.sessionStorage;
        let detector = null, stream = null, scanning = false;

        function show(section) {
          for (const id of ["signin", "scanner", "answer"]) $(id).classList.toggle("hidden", id !== section);
          $("signout").classList.toggle("hidden", section === "signin");
        }

        async function api(path, options) {
          const headers = Object.assign({ "Authorization": "Bearer " + store.getItem("token") }, (options && options.headers) || {});
          return fetch(path, Object.assign({}, options, { headers }));
        }

        async function signIn(token) {
          store.setItem("token", token);
          const response = await api("/api/v1/stats");
          if (response.status === 401) {
            store.removeItem("token");
            $("signin-error").textContent = "That token is not valid (or was revoked).";
            show("signin");
            return false;
          }
          $("signin-error").textContent = "";
          $("lot").value = store.getItem("lot") || "";
          $("officer").textContent = "Signed in. Scans are recorded under your officer name.";
          show("scanner");
          return true;
        }

        function query() {
          const lot = $("lot").value.trim();
          store.setItem("lot", lot);
          const parts = ["station=" + encodeURIComponent(store.getItem("station") || "phone")];
          if (lot) parts.push("lot=" + encodeURIComponent(lot));
          return "?" + parts.join("&");
        }

        async function send(body, type) {
          $("status").textContent = "Checking…";
          let response;
          try {
            response = await api("/api/v1/scans" + query(), { method: "POST", headers: { "Content-Type": type }, body });
          } catch (error) {
            return answer(null, "No connection to the server. Try again.");
          }
          $("status").textContent = "";
          if (response.status === 401) { store.removeItem("token"); show("signin"); $("signin-error").textContent = "Please sign in again."; return; }
          let json = null;
          try { json = await response.json(); } catch (error) {}
          if (response.status !== 200) return answer(null, (json && json.message) || ("The server answered " + response.status + "."));
          answer(json);
        }

        function when(iso) {
          if (!iso) return "";
          const date = new Date(iso);
          return isNaN(date) ? iso : date.toLocaleString();
        }

        function answer(report, problem) {
          stopCamera();
          const result = $("result");
          const details = $("details");
          details.textContent = "";
          const add = (term, value) => {
            if (value === null || value === undefined || value === "") return;
            const dt = document.createElement("dt"); dt.textContent = term;
            const dd = document.createElement("dd"); dd.textContent = String(value);
            details.append(dt, dd);
          };
          if (!report) {
            result.className = "error";
            result.dataset.outcome = "error";
            $("verdict").textContent = "Not checked";
            $("reason").textContent = problem;
            beep(false);
          } else {
            const ok = report.outcome === "recorded" || report.outcome === "recorded_other_site";
            result.className = ok ? "ok" : "refused";
            result.dataset.outcome = report.outcome;
            $("verdict").textContent = ok ? "✔ Give dose " + (report.dose || "")
              : report.outcome === "already_recorded" ? "✖ Already recorded" : "✖ Do not vaccinate";
            $("reason").textContent = report.message;
            add("Name", report.name);
            add("Registrant", report.registrant);
            add("Dose", report.dose);
            add("Vaccine", report.vaccine);
            add("Lot", report.lot);
            if (report.outcome === "already_recorded") {
              add("Recorded", when(report.administeredAt));
              add("By officer", report.officer);
              add("Station", report.station);
              add("Site", report.site);
            }
            add("Code", report.outcome);
            beep(ok);
          }
          show("answer");
        }

        function beep(ok) {
          try { if (navigator.vibrate) navigator.vibrate(ok ? 120 : [300, 120, 300]); } catch (error) {}
          try {
            const audio = new (window.AudioContext || window.webkitAudioContext)();
            const tone = audio.createOscillator();
            const gain = audio.createGain();
            tone.frequency.value = ok ? 880 : 220;
            gain.gain.value = 0.2;
            tone.connect(gain).connect(audio.destination);
            tone.start();
            tone.stop(audio.currentTime + (ok ? 0.15 : 0.5));
          } catch (error) {}
        }

        async function startCamera() {
          try {
            stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
          } catch (error) {
            $("status").textContent = "No camera access; take a photo instead.";
            return;
          }
          const video = $("video");
          video.srcObject = stream;
          video.classList.remove("hidden");
          await video.play();
          scanning = true;
          $("status").textContent = "Point the camera at the ticket's QR code.";
          while (scanning) {
            try {
              const codes = await detector.detect(video);
              const ticket = codes.find((code) => code.rawValue);
              if (ticket) { scanning = false; await send(ticket.rawValue, "text/plain"); return; }
            } catch (error) {}
            await new Promise((resolve) => setTimeout(resolve, 150));
          }
        }

        function stopCamera() {
          scanning = false;
          if (stream) { for (const track of stream.getTracks()) track.stop(); stream = null; }
          $("video").classList.add("hidden");
        }

        $("signin").addEventListener("submit", (event) => { event.preventDefault(); signIn($("token").value.trim()); });
        $("signout").addEventListener("click", () => { stopCamera(); store.clear(); $("token").value = ""; show("signin"); });
        $("lot").addEventListener("change", () => store.setItem("lot", $("lot").value.trim()));
        $("photo").addEventListener("change", () => {
          const file = $("photo").files[0];
          if (file) send(file, file.type === "image/png" ? "image/png" : "image/jpeg");
          $("photo").value = "";
        });
        $("live").addEventListener("click", startCamera);
        $("next").addEventListener("click", () => { show("scanner"); if (detector) startCamera(); });

        (async function start() {
          if (!store.getItem("station")) store.setItem("station", "phone-" + Math.random().toString(36).slice(2, 8));
          if ("BarcodeDetector" in window) {
            try {
              const formats = await window.BarcodeDetector.getSupportedFormats();
              if (formats.includes("qr_code")) { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); $("live").classList.remove("hidden"); }
            } catch (error) {}
          }
          const fragment = new URLSearchParams(location.hash.slice(1));
          if (fragment.has("lot")) store.setItem("lot", fragment.get("lot"));
          if (fragment.has("station")) store.setItem("station", fragment.get("station"));
          const token = fragment.get("token") || store.getItem("token");
          if (fragment.toString()) history.replaceState(null, "", location.pathname);
          if (!token) return show("signin");
          if (await signIn(token) && fragment.has("ticket")) await send(fragment.get("ticket"), "text/plain");
        })();
        </script>
        </body>
        </html>
        """#
}
