/* FaceForge web UI: a small tus 1.0.0 client (core, creation, termination, checksum) for big files.
   The file goes up in slices, one PATCH each; after a network error the client asks the server where it
   stopped (HEAD) and goes on from there. Each upload's address is kept in localStorage under the file's
   fingerprint, so choosing the same file again after a reload or a lost connection resumes it. */
(() => {
  "use strict";

  const { csrfToken, errorLine, CSRF_HEADER } = window.FaceForge;
  const TUS_VERSION = "1.0.0";
  const ENDPOINT = "/v1/uploads/";
  const STORE_PREFIX = "faceforge.upload:";
  const RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000, 16000];
  // A DELETE meeting the PATCH that Cancel just cut off is told 423 (locked) until the server sees the cut.
  const TERMINATE_DELAYS_MS = [0, 250, 500, 1000, 2000, 4000];

  /* A failure worth another try after a pause: the network, a busy server, a bad slice, a lost race. */
  class Retryable extends Error {}

  class Canceled extends Error {}

  function fingerprint(file, entityId) {
    return STORE_PREFIX + JSON.stringify([file.name, file.size, file.lastModified, entityId]);
  }

  function base64(bytes) {
    let binary = "";
    for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
    return btoa(binary);
  }

  /* Upload-Metadata: "key base64(value)" pairs; empty values are left out. */
  function metadata(pairs) {
    return Object.entries(pairs)
      .filter(([, value]) => value)
      .map(([key, value]) => `${key} ${base64(new TextEncoder().encode(value))}`)
      .join(",");
  }

  /* Upload-Checksum for one slice; only in a secure context (https or this computer), where the
     browser offers SHA-256. Elsewhere the slice goes without one. */
  async function checksum(bytes) {
    if (!window.crypto || !window.crypto.subtle) return {};
    return { "Upload-Checksum": `sha256 ${base64(await crypto.subtle.digest("SHA-256", bytes))}` };
  }

  /* An XHR opened with what every tus request carries: the protocol version and the CSRF proof. */
  function tusRequest(method, url) {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.setRequestHeader("Tus-Resumable", TUS_VERSION);
    xhr.setRequestHeader(CSRF_HEADER, csrfToken());
    return xhr;
  }

  function serverMessage(xhr) {
    try {
      const payload = JSON.parse(xhr.responseText);
      if (payload && payload.error && payload.error.message) return errorLine(payload.error);
    } catch {
      /* not JSON: fall through to the status */
    }
    return `The upload was refused (${xhr.status}).`;
  }

  /* Sends an opened XHR; resolves with it once answered (any status), rejects if it never was. */
  function answered(xhr, body) {
    return new Promise((resolve, reject) => {
      xhr.addEventListener("load", () => resolve(xhr));
      xhr.addEventListener("error", () => reject(new Retryable("FaceForge could not be reached.")));
      xhr.addEventListener("abort", () => reject(new Canceled("canceled")));
      xhr.send(body);
    });
  }

  function wait(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  class ResumableUpload {
    /* hooks: progress(sentBytes), resumed(offset), retrying(delayMs) */
    constructor(file, entityId, chunkBytes, hooks) {
      this.file = file;
      this.entityId = entityId;
      this.chunkBytes = chunkBytes;
      this.hooks = hooks;
      this.key = fingerprint(file, entityId);
      this.url = null;
      this.xhr = null;
      this.canceled = false;
      this.stopPause = () => {};
      this.next = null;
    }

    /* The pause before a retry; Cancel ends it at once. */
    pause(ms) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        this.stopPause = () => {
          clearTimeout(timer);
          reject(new Canceled("canceled"));
        };
      });
    }

    /* One request; resolves with the finished XHR whatever its status, rejects on a network error. */
    request(method, url, headers, body, onProgress) {
      if (this.canceled) return Promise.reject(new Canceled("canceled"));
      const xhr = tusRequest(method, url);
      this.xhr = xhr;
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      if (onProgress) xhr.upload.addEventListener("progress", (e) => onProgress(e.loaded));
      return answered(xhr, body);
    }

    /* Anything but success, as the error the upload loop acts on. */
    refuse(xhr) {
      if (this.url && (xhr.status === 404 || xhr.status === 410)) {
        this.forget();
        return new Error("FaceForge no longer has this upload (it may have expired). Choose the file again to start over.");
      }
      if (xhr.status === 409 || xhr.status === 423 || xhr.status === 460 || xhr.status >= 500) {
        return new Retryable(serverMessage(xhr));
      }
      return new Error(serverMessage(xhr));
    }

    forget() {
      localStorage.removeItem(this.key);
    }

    /* A new upload on the server (tus creation); its address is remembered for a later resume. */
    async create() {
      const xhr = await this.request("POST", ENDPOINT, {
        "Upload-Length": String(this.file.size),
        "Upload-Metadata": metadata({ filename: this.file.name, entity_id: this.entityId }),
      }, null);
      const location = xhr.status === 201 && xhr.getResponseHeader("Location");
      if (!location) throw this.refuse(xhr);
      this.url = new URL(location, window.location.href).href;
      localStorage.setItem(this.key, this.url);
      return 0;
    }

    /* Where the server stands (HEAD); the upload is forgotten when the server no longer has it. */
    async offset() {
      const xhr = await this.request("HEAD", this.url, { "Cache-Control": "no-store" }, null);
      if (xhr.status !== 200 && xhr.status !== 204) throw this.refuse(xhr);
      return Number(xhr.getResponseHeader("Upload-Offset"));
    }

    /* A slice and its checksum, begun early so that hashing one slice overlaps sending the one before. */
    prepare(offset) {
      const slice = this.file.slice(offset, offset + this.chunkBytes);
      // The bytes are read for the checksum only: a Blob body goes up far faster than an ArrayBuffer.
      const headers = slice.arrayBuffer().then(checksum);
      headers.catch(() => {}); // a read that fails is reported when the slice is sent, not before
      return { offset, slice, headers };
    }

    async sendSlice(offset) {
      const current = this.next && this.next.offset === offset ? this.next : this.prepare(offset);
      const end = offset + current.slice.size;
      this.next = end < this.file.size ? this.prepare(end) : null;
      const headers = {
        "Content-Type": "application/offset+octet-stream",
        "Upload-Offset": String(offset),
        ...(await current.headers),
      };
      const xhr = await this.request("PATCH", this.url, headers, current.slice, (sent) => this.hooks.progress(offset + sent));
      if (xhr.status !== 204 && xhr.status !== 200) throw this.refuse(xhr);
      return Number(xhr.getResponseHeader("Upload-Offset"));
    }

    /* The stored upload's offset when the server still has it, else null (and it is forgotten). */
    async storedOffset() {
      this.url = localStorage.getItem(this.key);
      if (!this.url) return null;
      try {
        return await this.offset();
      } catch (error) {
        if (error instanceof Retryable || error instanceof Canceled) throw error;
        this.forget();
        this.url = null;
        return null;
      }
    }

    /* Sends the whole file; rejects with a readable Error, or Canceled. */
    async start() {
      let offset = await this.storedOffset();
      if (offset !== null) this.hooks.resumed(offset);
      let failures = 0;
      while (offset === null || offset < this.file.size) {
        try {
          if (!this.url) offset = await this.create();
          else if (offset === null) offset = await this.offset();
          else offset = await this.sendSlice(offset);
          this.hooks.progress(offset);
          failures = 0;
        } catch (error) {
          if (!(error instanceof Retryable)) throw error;
          if (failures >= RETRY_DELAYS_MS.length) {
            throw new Error(`${error.message} Choose the same file again to resume where it stopped.`);
          }
          this.hooks.retrying(RETRY_DELAYS_MS[failures]);
          await this.pause(RETRY_DELAYS_MS[failures]);
          failures += 1;
          offset = null;
        }
      }
      this.forget();
    }

    /* Stops sending and asks the server to drop what it has (termination). */
    async cancel() {
      this.canceled = true;
      this.stopPause();
      if (this.xhr) this.xhr.abort();
      this.forget();
      if (!this.url) return;
      for (const ms of TERMINATE_DELAYS_MS) {
        await wait(ms);
        try {
          if ((await answered(tusRequest("DELETE", this.url), null)).status !== 423) return;
        } catch {
          return; // unreachable: the server drops the upload when it expires
        }
      }
    }
  }

  window.FaceForge.ResumableUpload = ResumableUpload;
  window.FaceForge.UploadCanceled = Canceled;
})();
