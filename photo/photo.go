// Package photo handles client profile photos: it checks and re-encodes
// uploads, stores them as blobs and signs the URLs that serve them.
package photo

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"roster"
)

const (
	MaxBytes  = 10 << 20   // upload limit
	MaxPixels = 40_000_000 // bounds the memory a decode may take
	MaxSide   = 10_000
)

// Normalize checks that r holds a JPEG or PNG image within the limits and
// returns it re-encoded, with ext "jpg" or "png". Re-encoding keeps only the
// pixels, so metadata such as EXIF GPS positions never reaches storage. EXIF
// orientation is not applied either: a photo stored rotated by its camera
// comes back unrotated.
func Normalize(r io.Reader) (data []byte, ext string, err error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("photo: read upload: %w", err)
	}
	if len(raw) > MaxBytes {
		return nil, "", roster.Errorf(roster.KindTooLarge, "profile_photo: larger than 10 MB")
	}

	// The header alone gives the size, so a decompression bomb is refused
	// before the decoder allocates its pixels.
	cfg, format, err := image.DecodeConfig(bytes.NewReader(raw))
	switch {
	case errors.Is(err, image.ErrFormat), err == nil && format != "jpeg" && format != "png":
		return nil, "", roster.Errorf(roster.KindInvalid, "profile_photo: must be a JPEG or PNG image")
	case err != nil:
		return nil, "", invalidImage()
	case cfg.Width <= 0 || cfg.Height <= 0:
		return nil, "", roster.Errorf(roster.KindInvalid, "profile_photo: image has no pixels")
	case cfg.Width > MaxSide || cfg.Height > MaxSide:
		return nil, "", roster.Errorf(roster.KindInvalid, "profile_photo: width and height must be at most %d pixels", MaxSide)
	case cfg.Width*cfg.Height > MaxPixels:
		return nil, "", roster.Errorf(roster.KindInvalid, "profile_photo: must be at most %d pixels in total", MaxPixels)
	}

	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, "", invalidImage()
	}
	var buf bytes.Buffer
	if format == "jpeg" {
		ext, err = "jpg", jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	} else {
		ext, err = "png", png.Encode(&buf, img)
	}
	if err != nil {
		return nil, "", fmt.Errorf("photo: encode %s: %w", format, err)
	}
	return buf.Bytes(), ext, nil
}

func invalidImage() error {
	return roster.Errorf(roster.KindInvalid, "profile_photo: not a valid JPEG or PNG image")
}

// ContentType returns the media type for an ext returned by Normalize, or "".
func ContentType(ext string) string {
	switch ext {
	case "jpg":
		return "image/jpeg"
	case "png":
		return "image/png"
	}
	return ""
}
