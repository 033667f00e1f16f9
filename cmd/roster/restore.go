package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"roster/internal/durable"
	"roster/store"
)

// restore puts a backup archive in place in a stopped server's data
// directory. It holds the data directory's lock while it works, so a serve
// running there makes it refuse, and no serve can start half-way.
func restore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbConfig
	flags := newFlagSet("restore")
	db.register(flags)
	from := flags.String("from", "", "archive `file` that roster backup wrote (required)")
	force := flags.Bool("force", false, "replace the database and photos the data directory already holds")
	if err := parseFlags(flags, args, stdout); err != nil {
		return err
	}
	if db.databaseURL != "" {
		return fmt.Errorf(postgresBackupHelp, "restore")
	}
	if *from == "" {
		return errors.New("--from is required: the archive roster backup wrote")
	}
	unlock, err := db.lockSQLite()
	if err != nil {
		return fmt.Errorf("restore replaces the data of a stopped server only: %w", err)
	}
	defer unlock()
	held, err := heldData(db.dataDir)
	if err != nil {
		return err
	}
	if len(held) > 0 && !*force {
		return fmt.Errorf("the data directory %s already holds %s: restore replaces them only with --force",
			db.dataDir, strings.Join(held, ", "))
	}
	// Staged inside the data directory, so that putting it in place is
	// renames on one file system.
	stage, err := os.MkdirTemp(db.dataDir, ".restore-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	p := progress{json.NewEncoder(stdout)}
	m, err := extractArchive(*from, stage, p)
	if err != nil {
		return fmt.Errorf("%s: %w; nothing was restored", *from, err)
	}
	version, err := store.CheckSQLiteFile(ctx, filepath.Join(stage, databaseName))
	if err != nil {
		return fmt.Errorf("%s: %w; nothing was restored", *from, err)
	}
	if _, err := os.Stat(filepath.Join(stage, secretKeyFile)); (err == nil) != m.SecretKey {
		return fmt.Errorf("%s: its manifest and its files disagree on %s; nothing was restored", *from, secretKeyFile)
	}
	if version != m.SchemaVersion {
		return fmt.Errorf("%s: its database is at schema version %d, its manifest says %d; nothing was restored", *from, version, m.SchemaVersion)
	}
	if err := replaceData(db.dataDir, stage); err != nil {
		return err
	}
	restored := map[string]any{"step": "restored", "data": db.dataDir, "schema_version": version, "backup_created": m.Created}
	if !m.SecretKey {
		// serve sealed the database's keys with ROSTER_SECRET_KEY.
		restored["note"] = "the backup holds no secret.key: start serve with the ROSTER_SECRET_KEY it ran with"
	}
	p.step(restored)
	return nil
}

// heldData lists what the data directory holds besides the locks, which
// are not data.
func heldData(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var held []string
	for _, e := range entries {
		if n := e.Name(); n != lockFile && n != databaseName+".migrate-lock" {
			held = append(held, n)
		}
	}
	return held, nil
}

// extractArchive checks the manifest, which must come first, and writes
// the archive's database and photos under stage, synced.
func extractArchive(from, stage string, p progress) (manifest, error) {
	f, err := os.Open(from)
	if err != nil {
		return manifest{}, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return manifest{}, fmt.Errorf("not a roster backup (not gzip-compressed: %v)", err)
	}
	tr := tar.NewReader(zr)
	m, err := readManifest(tr)
	if err != nil {
		return manifest{}, err
	}
	var photos, photoBytes, dbBytes int64
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return manifest{}, fmt.Errorf("a damaged archive: %w", err)
		}
		name, err := archivePath(h)
		if err != nil {
			return manifest{}, err
		}
		if h.Typeflag == tar.TypeDir {
			continue // made as the files need them
		}
		if err := extractFile(tr, filepath.Join(stage, name)); err != nil {
			return manifest{}, fmt.Errorf("%s: %w", h.Name, err)
		}
		switch name {
		case databaseName:
			dbBytes = h.Size
		case secretKeyFile: // a key, not data to count
		default:
			photos, photoBytes = photos+1, photoBytes+h.Size
		}
	}
	if dbBytes == 0 {
		return manifest{}, fmt.Errorf("no %s in the archive", databaseName)
	}
	if err := syncTree(stage); err != nil {
		return manifest{}, err
	}
	p.step(map[string]any{"step": "extracted", "database_bytes": dbBytes, "photos": photos, "photo_bytes": photoBytes})
	return m, nil
}

// readManifest reads the archive's first entry, its manifest, and refuses
// an archive that is not a roster backup of a layout this roster reads.
func readManifest(tr *tar.Reader) (manifest, error) {
	var m manifest
	h, err := tr.Next()
	if err != nil || h.Name != manifestName {
		return m, fmt.Errorf("not a roster backup (no %s first)", manifestName)
	}
	if err := json.NewDecoder(io.LimitReader(tr, 1<<16)).Decode(&m); err != nil || m.Format != backupFormat {
		return m, fmt.Errorf("not a roster backup (%s is not a %s manifest)", manifestName, backupFormat)
	}
	if m.Version != backupVersion {
		return m, fmt.Errorf("a roster backup of layout %d, which this roster does not read (it reads %d)", m.Version, backupVersion)
	}
	return m, nil
}

// archivePath is the local path an entry goes to: roster.db, secret.key,
// or a file or directory under photos/. Anything else is refused, so that an archive
// cannot write outside the stage or put unknown files in the data
// directory.
func archivePath(h *tar.Header) (string, error) {
	name := path.Clean(h.Name)
	ok := filepath.IsLocal(name) && ((name == databaseName || name == secretKeyFile) && h.Typeflag == tar.TypeReg ||
		strings.HasPrefix(name, photosDirName+"/") && slices.Contains([]byte{tar.TypeReg, tar.TypeDir}, h.Typeflag))
	if !ok {
		return "", fmt.Errorf("not a roster backup (unexpected entry %q)", h.Name)
	}
	return filepath.FromSlash(name), nil
}

// extractFile writes r's content to a new file at path, synced.
func extractFile(r io.Reader, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	return durable.Close(f, err)
}

// syncTree syncs every directory under root, so that the files extracted
// into them stay once renamed into place.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return durable.SyncDir(path)
	})
}

// replaced are what a restore moves out of the data directory, in order:
// the WAL and its index first, which SQLite would otherwise replay into
// the restored database.
var replaced = []string{databaseName + "-wal", databaseName + "-shm", databaseName, secretKeyFile, photosDirName}

// replaceData moves what dir holds aside into stage, then the staged
// photos and database in, the database last. A failure moves back what
// was moved, so that dir holds the old data or the new, never some of
// each; only a crash in between can leave the old data in stage.
func replaceData(dir, stage string) error {
	aside := filepath.Join(stage, "replaced")
	if err := os.Mkdir(aside, 0o750); err != nil {
		return err
	}
	var moved [][2]string
	move := func(from, to string) error {
		err := os.Rename(from, to)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // nothing to move: no photos, or no old database
		}
		if err == nil {
			moved = append(moved, [2]string{from, to})
		}
		return err
	}
	var err error
	for _, name := range replaced {
		if err = move(filepath.Join(dir, name), filepath.Join(aside, name)); err != nil {
			break
		}
	}
	for _, name := range []string{photosDirName, secretKeyFile, databaseName} {
		if err == nil {
			err = move(filepath.Join(stage, name), filepath.Join(dir, name))
		}
	}
	if err == nil {
		err = durable.SyncDir(dir)
	}
	if err != nil {
		for i := len(moved) - 1; i >= 0; i-- {
			os.Rename(moved[i][1], moved[i][0])
		}
		return fmt.Errorf("restore: %w; the data directory is as it was", err)
	}
	return nil
}
