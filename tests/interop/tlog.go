// Checks mrgate's transparency-log artifacts with the Go project's own implementations:
// golang.org/x/mod/sumdb/note (C2SP signed notes) and golang.org/x/mod/sumdb/tlog (RFC 6962
// record and tree proofs), as Debian packages them (golang-golang-x-mod-dev).
//
// Reads one JSON case per line on stdin; prints one line per case: its name, then "ok" or
// the first step that failed ("vkey:", "note:", "checkpoint:", "record:", "tree:") and Go's
// error.
// Run by tests/interop_go.rs:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run tests/interop/tlog.go < cases.jsonl
package main

import (
	"bufio"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// One case: a signed checkpoint, the log's key, a record with its inclusion proof in the
// checkpoint's tree, and an older tree head with its consistency proof.
type Case struct {
	Name      string   `json:"name"`
	KeyName   string   `json:"key_name"`
	VKey      string   `json:"vkey"` // mrgate's verifier key for the log key, when given
	PublicKey []byte   `json:"public_key"`
	Note      string   `json:"note"`
	Entry     []byte   `json:"entry"`
	Index     int64    `json:"index"`
	Record    [][]byte `json:"record_proof"`
	OldSize   int64    `json:"old_size"`
	OldRoot   []byte   `json:"old_root"`
	Tree      [][]byte `json:"tree_proof"`
}

func hashes(raw [][]byte) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(raw))
	for i, h := range raw {
		if len(h) != tlog.HashSize {
			return nil, fmt.Errorf("hash %d is %d bytes", i, len(h))
		}
		copy(out[i][:], h)
	}
	return out, nil
}

// check returns "" when every step verifies, otherwise the failed step and why.
func check(c Case) string {
	vkey, err := note.NewEd25519VerifierKey(c.KeyName, ed25519.PublicKey(c.PublicKey))
	if err != nil {
		return "note: " + err.Error()
	}
	if c.VKey != "" && c.VKey != vkey {
		return "vkey: mrgate printed " + strconv.Quote(c.VKey) + ", Go makes " + strconv.Quote(vkey)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return "note: " + err.Error()
	}
	n, err := note.Open([]byte(c.Note), note.VerifierList(verifier))
	if err != nil {
		return "note: " + err.Error()
	}
	// c2sp.org/tlog-checkpoint: origin, size, base64 root hash, then optional extension lines.
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) < 3 {
		return "checkpoint: fewer than three lines"
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return "checkpoint: size " + strconv.Quote(lines[1])
	}
	rootBytes, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rootBytes) != tlog.HashSize {
		return "checkpoint: root " + strconv.Quote(lines[2])
	}
	var root tlog.Hash
	copy(root[:], rootBytes)

	record, err := hashes(c.Record)
	if err != nil {
		return "record: " + err.Error()
	}
	if err := tlog.CheckRecord(record, size, root, c.Index, tlog.RecordHash(c.Entry)); err != nil {
		return "record: " + err.Error()
	}
	if c.OldSize > 0 {
		tree, err := hashes(c.Tree)
		if err != nil {
			return "tree: " + err.Error()
		}
		var old tlog.Hash
		copy(old[:], c.OldRoot)
		if err := tlog.CheckTree(tree, size, root, c.OldSize, old); err != nil {
			return "tree: " + err.Error()
		}
	}
	return ""
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	for in.Scan() {
		var c Case
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			fmt.Fprintln(os.Stderr, "bad case:", err)
			os.Exit(2)
		}
		if failed := check(c); failed != "" {
			fmt.Printf("%s %s\n", c.Name, failed)
		} else {
			fmt.Printf("%s ok\n", c.Name)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "reading cases:", err)
		os.Exit(2)
	}
}
