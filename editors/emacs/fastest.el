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
;;   M-x fastest-rerun-failed     ; what pytest's cache records as failed, as `pytest --lf'
;;   M-x fastest-coverage         ; this file's tests under coverage.py (C-u: all), lines marked
;;   M-x fastest-debug-at-point   ; the test waits in debugpy; dape (Emacs 29.1+) attaches
;;
;; Every run first sends the server what the buffers hold now (eglot delays didChange), so what
;; runs is what you see.  Results show at the end of each test's line.  Without a VCS, the
;; project is the folder pytest would take as its rootdir (the nearest pytest.ini, .pytest.ini,
;; pyproject.toml, tox.ini or setup.cfg above the file).

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
(defvar fastest--tree-server nil "The server whose tree the *fastest* buffer shows.")

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

(cl-defmethod eglot-handle-notification ((server fastest-server) (_method (eql fastest/discoveredTests))
                                         &key scopeUri items append &allow-other-keys)
  (setq fastest--tree-server server)
  ;; A chunk that continues the scope's tree (fastestTreeChunks) only adds to it.
  (if (and append (not (eq append :json-false)))
      (seq-doseq (item items)
        (puthash (plist-get item :id) item fastest-tests))
    (fastest--replace-scope scopeUri items)))

(cl-defmethod eglot-client-capabilities :around ((_server fastest-server))
  "Opt in to fastest/testsMoved and to the tree in chunks.
testsMoved: edits that only move tests arrive as a line shift.
fastestTreeChunks: a big tree arrives in several messages."
  (let ((caps (cl-call-next-method)))
    (plist-put caps :experimental (list :fastestTestsMoved t :fastestTreeChunks t))))

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
    (fastest--mark-result id state)
    (run-hook-with-args 'fastest-result-hook params)
    (message "fastest: %s %s" state id)))

;;; Results in the buffer: one overlay per test, at the end of its first line, replaced by each run.

(defface fastest-passed '((t :inherit success)) "A passed test's mark.")
(defface fastest-failed '((t :inherit error)) "A failed test's mark.")
(defface fastest-other '((t :inherit warning)) "A skipped or xfailed test's mark.")

(defvar fastest--overlays (make-hash-table :test 'equal) "Test id -> its result overlay.")

(defun fastest--state-face (state)
  (cond ((member state '("passed" "xpassed")) 'fastest-passed)
        ((member state '("skipped" "xfailed")) 'fastest-other)
        (t 'fastest-failed)))

(defun fastest--item-buffer (item)
  "The live buffer visiting ITEM's file, if any."
  (let ((uri (plist-get item :uri)))
    (and uri (find-buffer-visiting (eglot--uri-to-path uri)))))

(defun fastest--mark-result (id state)
  "Show STATE at the end of the first line of test ID, replacing its old mark."
  (let ((old (gethash id fastest--overlays)))
    (when old (delete-overlay old)))
  (let* ((item (gethash id fastest-tests))
         (buffer (and item (fastest--item-buffer item)))
         (line (and item (plist-get (plist-get (plist-get item :range) :start) :line))))
    (when (and buffer line)
      (with-current-buffer buffer
        (save-excursion
          (goto-char (point-min))
          (forward-line line)
          (let ((overlay (make-overlay (line-end-position) (line-end-position) nil t nil))
                (label (if (equal (plist-get item :kind) "case") (format "%s %s" (plist-get item :label) state) state)))
            (overlay-put overlay 'fastest-id id)
            (overlay-put overlay 'after-string
                         (propertize (concat "  " label) 'face (fastest--state-face state)))
            (puthash id overlay fastest--overlays)))))))

(cl-defmethod eglot-handle-notification ((_server fastest-server) (_method (eql fastest/runFinished))
                                         &key runId counts durationMs coverage &allow-other-keys)
  (fastest--forget-debug runId)
  (let (parts)
    (cl-loop for (k v) on counts by #'cddr
             do (push (format "%s %s" v (substring (symbol-name k) 1)) parts))
    (when coverage (fastest--take-coverage coverage))
    (message "fastest: %s in %.2fs" (string-join (nreverse parts) ", ") (/ (or durationMs 0) 1000.0))))

;;; Coverage: a mark in the left fringe (the left margin in a terminal) of each line a coverage
;;; run executed or missed, in every buffer visiting a measured file, kept until the next one.

(defface fastest-covered '((t :inherit success)) "A line a coverage run executed.")
(defface fastest-missed '((t :inherit error)) "A line a coverage run did not execute.")

(defvar fastest--coverage (make-hash-table :test 'equal)
  "File path -> (COVERED . MISSED) from the last coverage run.
COVERED and MISSED are vectors of 1-based line numbers.")

(defun fastest--coverage-mark (face)
  "What shows beside a line in FACE: a fringe bar, or a margin bar without fringes."
  (if (fboundp 'fringe-bitmap-p)
      (propertize " " 'display `(left-fringe vertical-bar ,face))
    (propertize " " 'display `((margin left-margin) ,(propertize "\u258e" 'face face)))))

(defun fastest--show-coverage ()
  "Mark this buffer's lines with the last coverage run's result for its file."
  (remove-overlays (point-min) (point-max) 'fastest-coverage t)
  (let ((lines (and buffer-file-name (gethash (file-truename buffer-file-name) fastest--coverage))))
    (when lines
      (unless (fboundp 'fringe-bitmap-p)
        (setq left-margin-width 1)
        (dolist (window (get-buffer-window-list nil nil t))
          (set-window-buffer window (current-buffer))))
      (save-excursion
        (dolist (entry `((fastest-covered . ,(car lines)) (fastest-missed . ,(cdr lines))))
          (seq-doseq (line (cdr entry))
            (goto-char (point-min))
            (when (zerop (forward-line (1- line)))
              (let ((overlay (make-overlay (line-beginning-position) (line-end-position))))
                (overlay-put overlay 'fastest-coverage t)
                (overlay-put overlay 'fastest-coverage-state (if (eq (car entry) 'fastest-covered) 'covered 'missed))
                (overlay-put overlay 'before-string (fastest--coverage-mark (car entry)))))))))))

(defun fastest--take-coverage (files)
  "Keep FILES (runFinished's coverage) and mark the buffers that visit them."
  (clrhash fastest--coverage)
  (seq-doseq (file files)
    (puthash (file-truename (eglot--uri-to-path (plist-get file :uri)))
             (cons (plist-get file :linesCovered) (plist-get file :linesMissed))
             fastest--coverage))
  (dolist (buffer (buffer-list))
    (with-current-buffer buffer
      (when buffer-file-name (fastest--show-coverage))))
  (message "fastest: coverage of %d files" (hash-table-count fastest--coverage)))

(defun fastest-coverage (&optional all)
  "Run this file's tests under coverage.py; mark the lines they ran or missed.
With a prefix argument ALL, run every test of the workspace.  The marks
stay in every buffer of a measured file until the next coverage run or
`fastest-coverage-clear'."
  (interactive "P")
  (let* ((uri (and buffer-file-name (eglot--path-to-uri buffer-file-name)))
         (module (and (not all) uri
                      (cl-loop for item being the hash-values of fastest-tests
                               when (and (equal (plist-get item :uri) uri) (equal (plist-get item :kind) "module"))
                               return (plist-get item :id))))
         (server (fastest--server)))
    (fastest--flush-changes server)
    (let ((reply (jsonrpc-request server :fastest/runTests
                                  (list :include (vector (or module "")) :kind "coverage"))))
      (setq fastest-last-run (plist-get reply :runId))
      reply)))

(defun fastest-coverage-clear ()
  "Remove the coverage marks from every buffer."
  (interactive)
  (clrhash fastest--coverage)
  (dolist (buffer (buffer-list))
    (with-current-buffer buffer
      (remove-overlays (point-min) (point-max) 'fastest-coverage t))))

;; jsonrpc.el 1.0.14 (Emacs 28) hands each message to its handler from inside the process
;; filter, and the reply to a `jsonrpc-request' leaves the filter by a throw: the messages that
;; came in the same read as that reply stay unparsed in the process buffer until the server
;; writes again.  The server writes fastest/runFinished right after its reply to a cancel; on a
;; loaded machine both came in one read and the run never seemed to finish.  (Later jsonrpc.el
;; parses every message of a read before handling any.)  So after each request to fastest, the
;; filter reads what its buffer still holds; from a timer, as the filter may be running below.
(defun fastest--read-after-reply (request connection &rest args)
  "Call REQUEST (`jsonrpc-request') with CONNECTION and ARGS.
Then read what followed the reply in the same read (see above)."
  (unwind-protect (apply request connection args)
    (when (cl-typep connection 'fastest-server)
      (run-at-time 0 nil #'fastest--read-left-messages (jsonrpc--process connection)))))

(defun fastest--read-left-messages (process)
  "Hand PROCESS's filter the messages left unread in its buffer, if any."
  (let ((buffer (process-buffer process)))
    (when (and (buffer-live-p buffer) (> (buffer-size buffer) 0) (process-filter process))
      (funcall (process-filter process) process ""))))

(advice-add #'jsonrpc-request :around #'fastest--read-after-reply '((name . fastest--read-after-reply)))

(defun fastest--server ()
  (or (eglot-current-server)
      (and fastest--tree-server (jsonrpc-running-p fastest--tree-server) fastest--tree-server)
      (user-error "fastest: no language server in this buffer (M-x eglot)")))

(defun fastest--flush-changes (server)
  "Send SERVER every buffer's pending changes.
eglot holds didChange back; a run must see the text as it reads now."
  (dolist (buffer (eglot--managed-buffers server))
    (with-current-buffer buffer
      (when eglot--recent-changes
        (eglot--signal-textDocument/didChange)))))

(defun fastest--execute (command argument)
  (let* ((server (fastest--server))
         (reply (progn
                  (fastest--flush-changes server)
                  (jsonrpc-request server :workspace/executeCommand
                                   (list :command command :arguments (vector argument))))))
    (setq fastest-last-run (plist-get reply :runId))
    reply))

(defun fastest-run-at-point ()
  "Run the test (case, function or class) at point, as the buffer reads now."
  (interactive)
  (if (derived-mode-p 'fastest-tree-mode)
      (fastest-tree-run)
    (fastest--execute "fastest.runTest"
                      (list :uri (eglot--path-to-uri (buffer-file-name)) :position (eglot--pos-to-lsp-position)))))

(declare-function dape "ext:dape" (config &optional skip-compile))

;; debugpy listens only a little after the reply (attaching at once is refused): the reply's
;; configuration waits for its run's fastest/debugListening, which may also come first (eglot
;; handles notifications while `jsonrpc-request' waits for the reply).
(defvar fastest--debug-waiting (make-hash-table :test 'equal)
  "RunId -> dape configuration of a debug run whose debugpy does not listen yet.")
(defvar fastest--debug-listening (make-hash-table :test 'equal)
  "RunIds whose debugpy listens before their reply was handled.")

(defun fastest--attach (config)
  "Attach dape to CONFIG (debugpy.listen serves the debug adapter protocol itself)."
  (dape config))

(cl-defmethod eglot-handle-notification ((_server fastest-server) (_method (eql fastest/debugListening))
                                         &key runId &allow-other-keys)
  (let ((config (gethash runId fastest--debug-waiting)))
    (remhash runId fastest--debug-waiting)
    (if config (fastest--attach config) (puthash runId t fastest--debug-listening))))

(defun fastest--forget-debug (run)
  "Drop what waits for RUN's debugger (the run finished)."
  (remhash run fastest--debug-waiting)
  (remhash run fastest--debug-listening))

(defun fastest-debug-at-point ()
  "Debug the test at point: it waits in debugpy, and dape attaches to it.
dape attaches once the server says debugpy listens.  Without dape (Emacs
29.1 and later), say so and cancel the run: the test never waits for a
debugger that does not come."
  (interactive)
  (let* ((reply (fastest--execute "fastest.debugTest"
                                  (list :uri (eglot--path-to-uri (buffer-file-name))
                                        :position (eglot--pos-to-lsp-position))))
         (run (plist-get reply :runId))
         (debug (plist-get reply :debug))
         (connect (plist-get debug :connect))
         (where (format "%s:%s" (plist-get connect :host) (plist-get connect :port))))
    (cond ((null debug) (user-error "fastest: no test to debug here"))
          ((require 'dape nil t)
           (let ((config (list 'modes '(python-mode python-ts-mode) 'host (plist-get connect :host)
                               'port (plist-get connect :port) :type "python" :request "attach"
                               :name (plist-get debug :name) :justMyCode :json-false)))
             (if (gethash run fastest--debug-listening)
                 (progn (remhash run fastest--debug-listening) (fastest--attach config))
               (puthash run config fastest--debug-waiting))))
          (t
           (jsonrpc-request (fastest--server) :fastest/cancelRun (list :runId run))
           (message "fastest: debugging needs dape (Emacs 29.1+); the test waited for a debugger on %s and was cancelled"
                    where)))
    reply))

(defun fastest-run-file ()
  "Run every test of this file."
  (interactive)
  (fastest--execute "fastest.runFile" (list :uri (eglot--path-to-uri (buffer-file-name)))))

(defun fastest-run-all ()
  "Run every test of the workspace."
  (interactive)
  (fastest--execute "fastest.runAll" eglot--{}))

(defun fastest-rerun-failed ()
  "Rerun the tests that failed last time, as `pytest --lf' would.
The failures are those pytest's cache records (.pytest_cache), so a
failure seen by pytest on the command line counts too."
  (interactive)
  (fastest--execute "fastest.rerunFailed" eglot--{}))

(defun fastest-cancel ()
  "Cancel the running tests."
  (interactive)
  (fastest--execute "fastest.cancelRun" (if fastest-last-run (list :runId fastest-last-run) eglot--{})))

(defvar fastest-watch-id nil
  "The armed continuous run (see `fastest-toggle-watch'), or nil.")

(defun fastest-toggle-watch ()
  "Re-run on each save the tests whose imports reach the saved file, or stop.
The server arms a continuous run over the whole workspace: each save
runs only the tests that import what changed (a conftest reaches every
test below it), last failures first."
  (interactive)
  (let ((server (fastest--server)))
    (if fastest-watch-id
        (progn
          (jsonrpc-request server :fastest/cancelRun (list :runId fastest-watch-id))
          (setq fastest-watch-id nil)
          (message "fastest: watch off"))
      (let ((reply (jsonrpc-request server :fastest/runTests
                                    (list :include (vector "") :continuous t))))
        (setq fastest-watch-id (plist-get reply :runId))
        (message "fastest: watching (tests re-run on save)")))))

(cl-defmethod eglot-handle-notification ((_server fastest-server) (_method (eql fastest/runStarted))
                                         &key runId enqueued &allow-other-keys)
  (setq fastest-last-run runId)
  (message "fastest: running %d tests after the change" (length enqueued)))

;;; The tree: the tests as the server nests them, with their last state.

(defvar fastest-tree-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "RET") #'fastest-tree-visit)
    (define-key map (kbd "r") #'fastest-tree-run)
    (define-key map (kbd "o") #'fastest-tree-output)
    (define-key map (kbd "g") #'fastest-tree)
    map)
  "Keys of the *fastest* tree: RET visit, r run, o output, g refresh.")

(define-derived-mode fastest-tree-mode tabulated-list-mode "fastest"
  "The tests the server knows, nested, with their last state."
  (setq tabulated-list-format [("State" 9 nil) ("Test" 0 nil)])
  (setq tabulated-list-sort-key nil)
  (tabulated-list-init-header))

(defun fastest--depth (item)
  "How many ancestors ITEM has in the tree."
  (let ((depth 0) (parent (plist-get item :parentId)))
    (while (and parent (< depth 64))
      (setq depth (1+ depth) parent (plist-get (gethash parent fastest-tests) :parentId)))
    depth))

(defun fastest--tree-rows ()
  "One row per item, parents first (as ids sort), indented by depth."
  (let (ids)
    (maphash (lambda (id _) (push id ids)) fastest-tests)
    (mapcar (lambda (id)
              (let* ((item (gethash id fastest-tests))
                     (result (gethash id fastest-results)))
                (list id (vector (or (plist-get result :state) "")
                                 (concat (make-string (* 2 (fastest--depth item)) ?\s)
                                         (or (plist-get item :label) id))))))
            (sort ids #'string<))))

(defun fastest-tree ()
  "Show the test tree with the last known state of each test."
  (interactive)
  (let ((server (or (eglot-current-server) fastest--tree-server)))
    (with-current-buffer (get-buffer-create "*fastest*")
      (fastest-tree-mode)
      (setq fastest--tree-server server)
      (setq tabulated-list-entries (fastest--tree-rows))
      (tabulated-list-print)
      (pop-to-buffer (current-buffer)))))

(defun fastest--tree-item ()
  (or (gethash (tabulated-list-get-id) fastest-tests) (user-error "fastest: no test on this line")))

(defun fastest-tree-visit ()
  "Go to the test on this line of the tree."
  (interactive)
  (let* ((item (fastest--tree-item))
         (line (plist-get (plist-get (plist-get item :range) :start) :line)))
    (find-file-other-window (eglot--uri-to-path (plist-get item :uri)))
    (goto-char (point-min))
    (when line (forward-line line))))

(defun fastest-tree-run ()
  "Run the test (or all under the folder, module or class) on this line."
  (interactive)
  (let ((item (fastest--tree-item)))
    (fastest--execute "fastest.runTest" (list :id (plist-get item :id) :uri (plist-get item :uri)))))

(defun fastest-tree-output ()
  "Show the last result of the test on this line: messages, output."
  (interactive)
  (let* ((id (tabulated-list-get-id))
         (result (or (gethash id fastest-results) (user-error "fastest: %s has not run yet" id))))
    (with-help-window (format "*fastest: %s*" id)
      (princ (format "%s %s\n\n" (plist-get result :state) id))
      (seq-doseq (m (plist-get result :messages))
        (princ (plist-get m :message))
        (princ "\n"))
      (let ((output (plist-get (plist-get result :output) :text)))
        (when output (princ (concat "\n--- output ---\n" output)))))))

(defconst fastest--rootdir-files '("pytest.ini" ".pytest.ini" "pyproject.toml" "tox.ini" "setup.cfg")
  "Files whose folder pytest may take as its rootdir.")

(defun fastest-project-find (dir)
  "The project of DIR, found as pytest finds its rootdir.
That is the nearest folder above DIR holding one of `fastest--rootdir-files'.
For `project-find-functions', after the VCS backends."
  (let ((root (locate-dominating-file
               dir (lambda (folder)
                     (cl-some (lambda (name) (file-exists-p (expand-file-name name folder)))
                              fastest--rootdir-files)))))
    (and root (cons 'transient (expand-file-name root)))))

;;;###autoload
(defun fastest-setup ()
  "Use fastest as the language server for Python buffers."
  (add-to-list 'eglot-server-programs
               `((python-mode python-ts-mode) . (fastest-server . ,fastest-command)))
  (add-hook 'project-find-functions #'fastest-project-find 'append)
  (add-hook 'find-file-hook #'fastest--show-coverage))

(provide 'fastest)
;;; fastest.el ends here
