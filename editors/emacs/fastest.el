;;; fastest.el --- Python test explorer on fastest's language server  -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1") (eglot "1.9"))
;; Keywords: tools, languages, python, testing

;;; Commentary:

;; Registers `fastest lsp' with eglot for python-mode buffers, keeps the test tree the server
;; publishes (fastest/discoveredTests), runs tests (at point, file, all) and shows results in
;; a tabulated buffer and the echo area.  Failures also arrive as diagnostics (flymake).
;;
;;   (require 'fastest)
;;   (fastest-setup)            ; then M-x eglot in a Python buffer
;;   M-x fastest-run-at-point / fastest-run-file / fastest-run-all / fastest-cancel / fastest-tree

;;; Code:

(require 'eglot)
(require 'cl-lib)
(require 'tabulated-list)

(defgroup fastest nil "Python tests through the fastest language server." :group 'tools)

(defcustom fastest-command '("fastest" "lsp")
  "Command that starts the fastest language server."
  :type '(repeat string))

(defcustom fastest-python nil
  "Interpreter for the tests (nil: fastest's own resolution)."
  :type '(choice (const nil) string))

(defvar fastest-tests (make-hash-table :test 'equal) "Test id -> item plist from the server.")
(defvar fastest-results (make-hash-table :test 'equal) "Test id -> last final state plist.")
(defvar fastest-result-hook nil "Functions called with each final test state plist.")
(defvar fastest-last-run nil "The runId of the last run started.")

(defclass fastest-server (eglot-lsp-server) () :documentation "fastest's language server.")

(cl-defmethod eglot-initialization-options ((_server fastest-server))
  (if fastest-python (list :pythonPath fastest-python) eglot--{}))

(defun fastest--replace-scope (scope items)
  "Replace the tests under SCOPE (a URI, or nil for all) with ITEMS."
  (if (null scope)
      (clrhash fastest-tests)
    (let (gone)
      (maphash (lambda (id item)
                 (let ((uri (plist-get item :uri)))
                   (when (and uri (or (string= uri scope) (string-prefix-p (concat scope "/") uri)))
                     (push id gone))))
               fastest-tests)
      (dolist (id gone) (remhash id fastest-tests))))
  (seq-doseq (item items)
    (puthash (plist-get item :id) item fastest-tests)))

(cl-defmethod eglot-handle-notification ((_server fastest-server) (_method (eql fastest/discoveredTests))
                                         &key scopeUri items &allow-other-keys)
  (fastest--replace-scope scopeUri items))

(cl-defmethod eglot-client-capabilities :around ((_server fastest-server))
  "Opt in to fastest/testsMoved: edits that only move tests arrive as a line shift."
  (let ((caps (cl-call-next-method)))
    (plist-put caps :experimental (list :fastestTestsMoved t))))

(defun fastest--shift-point (point after delta)
  "POINT moved by DELTA lines when it lies on a line after AFTER."
  (let ((line (plist-get point :line)))
    (if (> line after) (list :line (+ line delta) :character (plist-get point :character)) point)))

(defun fastest--apply-moves (uri after delta items &optional removed)
  "Shift the tests of URI below line AFTER by DELTA lines, drop the ids in REMOVED,
then take ITEMS whole (new tests, changed ones, or ones moved otherwise)."
  (maphash (lambda (id item)
             (let ((range (plist-get item :range)))
               (when (and range (equal (plist-get item :uri) uri))
                 (puthash id (plist-put (copy-sequence item) :range
                                        (list :start (fastest--shift-point (plist-get range :start) after delta)
                                              :end (fastest--shift-point (plist-get range :end) after delta)))
                          fastest-tests))))
           fastest-tests)
  (seq-doseq (id removed)
    (remhash id fastest-tests))
  (seq-doseq (item items)
    (puthash (plist-get item :id) item fastest-tests)))

(cl-defmethod eglot-handle-notification ((_server fastest-server) (_method (eql fastest/testsMoved))
                                         &key uri afterLine lineDelta items removed &allow-other-keys)
  (fastest--apply-moves uri afterLine lineDelta items removed))

(cl-defmethod eglot-handle-notification ((_server fastest-server) (_method (eql fastest/testStateChanged))
                                         &rest params &key id state &allow-other-keys)
  (unless (member state '("enqueued" "started"))
    (puthash id params fastest-results)
    (run-hook-with-args 'fastest-result-hook params)
    (message "fastest: %s %s" state id)))

(cl-defmethod eglot-handle-notification ((_server fastest-server) (_method (eql fastest/runFinished))
                                         &key counts durationMs &allow-other-keys)
  (let (parts)
    (cl-loop for (k v) on counts by #'cddr
             do (push (format "%s %s" v (substring (symbol-name k) 1)) parts))
    (message "fastest: %s in %.2fs" (string-join (nreverse parts) ", ") (/ (or durationMs 0) 1000.0))))

(defun fastest--server ()
  (or (eglot-current-server) (user-error "fastest: no language server in this buffer (M-x eglot)")))

(defun fastest--execute (command argument)
  (let ((reply (jsonrpc-request (fastest--server) :workspace/executeCommand
                                (list :command command :arguments (vector argument)))))
    (setq fastest-last-run (plist-get reply :runId))
    reply))

(defun fastest-run-at-point ()
  "Run the test (case, function or class) at point, as the buffer reads now."
  (interactive)
  (fastest--execute "fastest.runTest"
                    (list :uri (eglot--path-to-uri (buffer-file-name)) :position (eglot--pos-to-lsp-position))))

(defun fastest-run-file ()
  "Run every test of this file."
  (interactive)
  (fastest--execute "fastest.runFile" (list :uri (eglot--path-to-uri (buffer-file-name)))))

(defun fastest-run-all ()
  "Run every test of the workspace."
  (interactive)
  (fastest--execute "fastest.runAll" eglot--{}))

(defun fastest-cancel ()
  "Cancel the running tests."
  (interactive)
  (fastest--execute "fastest.cancelRun" (if fastest-last-run (list :runId fastest-last-run) eglot--{})))

(define-derived-mode fastest-tree-mode tabulated-list-mode "fastest"
  "The tests the server knows, with their last state."
  (setq tabulated-list-format [("State" 9 t) ("Test" 0 t)])
  (tabulated-list-init-header))

(defun fastest-tree ()
  "Show the test tree with the last known state of each test."
  (interactive)
  (with-current-buffer (get-buffer-create "*fastest*")
    (fastest-tree-mode)
    (let (rows)
      (maphash (lambda (id item)
                 (unless (member (plist-get item :kind) '("folder" "module"))
                   (let ((result (gethash id fastest-results)))
                     (push (list id (vector (or (plist-get result :state) "") id)) rows))))
               fastest-tests)
      (setq tabulated-list-entries (sort rows (lambda (a b) (string< (car a) (car b))))))
    (tabulated-list-print)
    (pop-to-buffer (current-buffer))))

;;;###autoload
(defun fastest-setup ()
  "Use fastest as the language server for Python buffers."
  (add-to-list 'eglot-server-programs
               `((python-mode python-ts-mode) . (fastest-server . ,fastest-command))))

(provide 'fastest)
;;; fastest.el ends here
