// Reads mrgate's transparency log through its C2SP tlog-tiles API with the Go project's own
// tlog implementation (golang.org/x/mod/sumdb/tlog, as Debian packages it): opens the
// checkpoint with golang.org/x/mod/sumdb/note, recomputes the tree's root from tiles that
// tlog.TileHashReader fetches and authenticates, and checks every entry of every entry
// bundle against the leaf hashes of the level-0 tiles.
//
// Usage: go run tests/interop/tiles.go <base URL of the log> <CA PEM file> <verifier key>
// Prints "ok <size> <entries>" or the step that failed and why (exit 1).
// Run by tests/interop_go.rs.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8

var client *http.Client
var base string

func get(path string) ([]byte, error) {
	resp, err := client.Get(base + "/" + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return body, nil
}

// tilePath is a tile's C2SP path: Go's sumdb path without its height element.
func tilePath(t tlog.Tile) string {
	return strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", height))
}

// reader fetches tiles, keeping each one tlog has authenticated (SaveTiles), as a monitor
// would: a tile never changes.
type reader struct{ saved map[string][]byte }

func (r *reader) Height() int { return height }

func (r *reader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		if data, ok := r.saved[tilePath(t)]; ok {
			out[i] = data
			continue
		}
		data, err := get("tile/" + tilePath(t))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (r *reader) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	for i, t := range tiles {
		r.saved[tilePath(t)] = data[i]
	}
}

func fail(step string, err error) {
	fmt.Printf("%s: %v\n", step, err)
	os.Exit(1)
}

func main() {
	base = strings.TrimSuffix(os.Args[1], "/")
	pem, err := os.ReadFile(os.Args[2])
	if err != nil {
		fail("ca", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	verifier, err := note.NewVerifier(os.Args[3])
	if err != nil {
		fail("vkey", err)
	}
	text, err := get("checkpoint")
	if err != nil {
		fail("checkpoint", err)
	}
	n, err := note.Open(text, note.VerifierList(verifier))
	if err != nil {
		fail("note", err)
	}
	// A C2SP checkpoint body: origin, size, base64 root hash (sumdb's tlog.ParseTree wants
	// its own origin line instead).
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 3 {
		fail("tree", fmt.Errorf("checkpoint body %q", n.Text))
	}
	var tree tlog.Tree
	if _, err := fmt.Sscanf(lines[1], "%d", &tree.N); err != nil {
		fail("tree", err)
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		fail("tree", fmt.Errorf("root %q", lines[2]))
	}
	copy(tree.Hash[:], root)
	hashes := tlog.TileHashReader(tree, &reader{saved: map[string][]byte{}})
	recomputed, err := tlog.TreeHash(tree.N, hashes)
	if err != nil {
		fail("tiles", err)
	}
	if recomputed != tree.Hash {
		fail("root", fmt.Errorf("tiles give %v, the checkpoint says %v", recomputed, tree.Hash))
	}
	entries := int64(0)
	for start := int64(0); start < tree.N; start += 1 << height {
		width := tree.N - start
		if width > 1<<height {
			width = 1 << height
		}
		t := tlog.Tile{H: height, L: 0, N: start >> height, W: int(width)}
		bundle, err := get("tile/entries/" + strings.TrimPrefix(tilePath(t), "0/"))
		if err != nil {
			fail("entries", err)
		}
		for i := int64(0); i < width; i++ {
			if len(bundle) < 2 {
				fail("entries", fmt.Errorf("bundle %d ends before entry %d", t.N, i))
			}
			size := int(binary.BigEndian.Uint16(bundle))
			if len(bundle) < 2+size {
				fail("entries", fmt.Errorf("bundle %d: entry %d is cut short", t.N, i))
			}
			entry := bundle[2 : 2+size]
			bundle = bundle[2+size:]
			leaf, err := hashes.ReadHashes([]int64{tlog.StoredHashIndex(0, start+i)})
			if err != nil {
				fail("leaf", err)
			}
			if tlog.RecordHash(entry) != leaf[0] {
				fail("entries", fmt.Errorf("entry %d does not hash to its leaf", start+i))
			}
			entries++
		}
		if len(bundle) != 0 {
			fail("entries", fmt.Errorf("bundle %d has %d bytes past its entries", t.N, len(bundle)))
		}
	}
	fmt.Printf("ok %d %d\n", tree.N, entries)
}
