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
	"path/filepath"
	"strings"
	"time"

	"roster/internal/durable"
	"roster/photo"
	"roster/store"
)

// A backup is one gzip-compressed tar archive: manifest.json first, then
// roster.db (a VACUUM INTO copy of the database), secret.key when serve
// generated one in the data directory (it seals keys the database holds),
// then the photo blobs under photos/ when they are in the data directory. One file is simpler
// to move, store and check than a directory, and the manifest first lets
// restore refuse a foreign archive before it reads the rest.
const (
	manifestName  = "manifest.json"
	backupFormat  = "roster-backup"
	backupVersion = 1
	databaseName  = "roster.db"
	photosDirName = "photos"
)

// manifest describes a backup archive.
type manifest struct {
	Format        string    `json:"format"`  // backupFormat
	Version       int       `json:"version"` // of the archive's layout: backupVersion
	Created       time.Time `json:"created"`
	SchemaVersion int64     `json:"schema_version"` // of roster.db
	SecretKey     bool      `json:"secret_key"`     // whether secret.key is in the archive
	Photos        bool      `json:"photos"`         // whether photos/ is in the archive
}

// postgresBackupHelp is what backup and restore answer on PostgreSQL: a
// file copy of the server's data directory is not a backup of it.
const postgresBackupHelp = `%s copies the embedded SQLite database only; with --database-url (ROSTER_DATABASE_URL) the data is in PostgreSQL, which backs up with its own tools:
  pg_dump --format=custom --file=roster.dump "$ROSTER_DATABASE_URL"
and restores, with every roster serve stopped, into an empty database:
  pg_restore --no-owner --dbname="$ROSTER_DATABASE_URL" roster.dump
(add --schema and a search_path when Roster runs in a schema of its own). Photos on S3 (--blob-url s3://...) are the bucket's to back up (versioning or replication); photos in the data directory's photos/ are plain files: copy the directory`

// progress prints one JSON line per step of a backup or restore, as
// bootstrap prints its result, for a person or a script to read.
type progress struct{ enc *json.Encoder }

func (p progress) step(fields map[string]any) { p.enc.Encode(fields) }

// backup writes a consistent copy of the SQLite database, with its local
// photos, to one archive. It takes no data directory lock: it only reads,
// and serve goes on writing meanwhile.
func backup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbConfig
	flags := newFlagSet("backup")
	db.register(flags)
	to := flags.String("to", "", "archive `file` to write, a .tar.gz (required); replaced only once complete")
	blobURL := flags.String("blob-url", "",
		"where serve stores photos (env ROSTER_BLOB_URL): the archive holds them only when they are in the data directory (the default)")
	if err := parseFlags(flags, args, stdout); err != nil {
		return err
	}
	if db.databaseURL != "" {
		return fmt.Errorf(postgresBackupHelp, "backup")
	}
	if *to == "" {
		return errors.New("--to is required: the archive to write")
	}
	loc, err := photo.ParseURL(*blobURL)
	if err != nil {
		return fmt.Errorf("--blob-url: %w", err)
	}
	dbPath := filepath.Join(db.dataDir, databaseName)
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("no database to back up: %w (is --data the directory serve runs with?)", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(*to), ".roster-backup-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	p := progress{json.NewEncoder(stdout)}
	m, err := copyDatabase(ctx, db.dataDir, filepath.Join(tmp, databaseName), p)
	if err != nil {
		return err
	}
	photos := ""
	switch {
	case loc.S3 != nil:
		p.step(map[string]any{"step": "photos", "included": false, "why": "they are in an S3 bucket: back the bucket up with its own tools"})
	case loc.Dir != "":
		p.step(map[string]any{"step": "photos", "included": false, "why": "they are in " + loc.Dir + ", outside the data directory: copy it with the database"})
	default:
		photos, m.Photos = filepath.Join(db.dataDir, photosDirName), true
	}
	files := []archived{{filepath.Join(tmp, databaseName), databaseName}}
	keyPath := filepath.Join(db.dataDir, secretKeyFile)
	if _, err := os.Stat(keyPath); err == nil {
		files, m.SecretKey = append(files, archived{keyPath, secretKeyFile}), true
	}
	return writeAtomically(*to, func(w io.Writer) error { return writeArchive(w, m, files, photos, p) }, p)
}

// copyDatabase copies the database in dataDir to path and checks the copy.
func copyDatabase(ctx context.Context, dataDir, path string, p progress) (manifest, error) {
	// Not migrated: a backup copies the schema as it is.
	st, err := store.Open(ctx, dataDir, "")
	if err != nil {
		return manifest{}, err
	}
	err = st.BackupInto(ctx, path)
	st.Close()
	if err != nil {
		return manifest{}, err
	}
	version, err := store.CheckSQLiteFile(ctx, path)
	if err != nil {
		return manifest{}, fmt.Errorf("the copy of the database: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return manifest{}, err
	}
	p.step(map[string]any{"step": "database", "bytes": fi.Size(), "schema_version": version})
	return manifest{Format: backupFormat, Version: backupVersion, Created: time.Now().UTC(), SchemaVersion: version}, nil
}

// archived is a file to archive: its path, and its name in the archive.
type archived struct{ path, name string }

// writeArchive writes the manifest, the files and, when photos is not "",
// the photos under it.
func writeArchive(w io.Writer, m manifest, files []archived, photos string, p progress) error {
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o600, Size: int64(len(data)), ModTime: m.Created}); err != nil {
		return err
	}
	if _, err := tw.Write(data); err != nil {
		return err
	}
	for _, f := range files {
		if err := addFile(tw, f.path, f.name); err != nil {
			return err
		}
	}
	if photos != "" {
		files, size, err := addPhotos(tw, photos)
		if err != nil {
			return err
		}
		p.step(map[string]any{"step": "photos", "included": true, "files": files, "bytes": size})
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// addPhotos adds the photo files under root, copied after the database:
// a photo stored meanwhile is one more file, which serve's sweep removes
// from a restored directory if no client names it, but one replaced or
// deleted meanwhile is missing from the archive. A file that goes away
// while the walk runs is skipped.
func addPhotos(tw *tar.Writer, root string) (files int, size int64, err error) {
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil // no photos yet, or a directory removed meanwhile
		case err != nil:
			return err
		case !d.Type().IsRegular() || strings.HasPrefix(d.Name(), photo.TempPrefix):
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		err = addFile(tw, path, photosDirName+"/"+filepath.ToSlash(rel))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err == nil {
			info, _ := d.Info()
			files++
			if info != nil {
				size += info.Size()
			}
		}
		return err
	})
	return files, size, err
}

// addFile adds the regular file at path to tw as name.
func addFile(tw *tar.Writer, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

// writeAtomically writes path through write into a temporary file beside
// it, synced, then renames it over path and syncs the directory: path is
// the old file or the complete new one, even after a crash.
func writeAtomically(path string, write func(io.Writer) error, p progress) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".roster-backup-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // once renamed, there is nothing left to remove
	if err := durable.Close(f, write(f)); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	if err := durable.SyncDir(dir); err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	p.step(map[string]any{"step": "written", "file": path, "bytes": fi.Size()})
	return nil
}
