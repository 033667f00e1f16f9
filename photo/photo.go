// Package photo handles client profile photos: it checks and re-encodes
// uploads, stores them as blobs and signs the URLs that serve them.
package photo

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"

	"roster"
)

const (
	MaxBytes  = 10 << 20 // upload limit
	MaxPixels = 40_000_000
	MaxSide   = 10_000
	// MaxDecodeBytes bounds the pixels a decode allocates: a few kilobytes
	// of PNG can claim 40 megapixels of 16-bit colour, 320 MB.
	MaxDecodeBytes = 64 << 20
)

// decoding lets one photo be decoded at a time, so that concurrent uploads
// cannot multiply MaxDecodeBytes.
var decoding = make(chan struct{}, 1)

// bytesPerPixel is what the decoder allocates per pixel for a colour model;
// unknown models are assumed to be the widest.
func bytesPerPixel(m color.Model) int {
	switch m {
	case color.GrayModel:
		return 1
	case color.Gray16Model:
		return 2
	case color.YCbCrModel: // JPEG; without 4:4:4 subsampling it takes less
		return 3
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel:
		return 4
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}

// Upload is a photo as Roster stores it.
type Upload struct {
	Data      []byte // the photo, re-encoded
	Thumbnail []byte // the photo at most ThumbSide pixels a side, same format
	Ext       string // "jpg" or "png"
}

// Normalize checks that r holds a JPEG or PNG image within the limits and
// returns it re-encoded, upright and with its thumbnail. Re-encoding keeps
// only the pixels, so metadata such as EXIF GPS positions never reaches
// storage; a JPEG's EXIF orientation is applied first, so that a photo
// taken with the camera turned shows the right way up without it.
func Normalize(r io.Reader) (*Upload, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("photo: read upload: %w", err)
	}
	if len(raw) > MaxBytes {
		return nil, roster.Errorf(roster.KindTooLarge, "profile_photo: larger than 10 MB")
	}
	format, err := checkHeader(raw)
	if err != nil {
		return nil, err
	}

	decoding <- struct{}{}
	defer func() { <-decoding }()
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, invalidImage()
	}
	o := 1
	if format == "jpeg" {
		o = exifOrientation(raw)
	}
	// The thumbnail is scaled from the stored pixels and turned after, so
	// that turning reads only its few pixels.
	up := &Upload{Ext: "png"}
	if format == "jpeg" {
		up.Ext = "jpg"
	}
	if up.Data, err = encode(orient(img, o), up.Ext); err == nil {
		up.Thumbnail, err = encode(orient(thumbnail(img), o), up.Ext)
	}
	if err != nil {
		return nil, fmt.Errorf("photo: encode %s: %w", format, err)
	}
	return up, nil
}

// checkHeader returns the format of an upload whose header is within the
// limits. The header alone gives the size, so a decompression bomb is
// refused before the decoder allocates its pixels.
func checkHeader(raw []byte) (format string, err error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(raw))
	switch {
	case errors.Is(err, image.ErrFormat), err == nil && format != "jpeg" && format != "png":
		return "", roster.Errorf(roster.KindInvalid, "profile_photo: must be a JPEG or PNG image")
	case err != nil:
		return "", invalidImage()
	case cfg.Width <= 0 || cfg.Height <= 0:
		return "", roster.Errorf(roster.KindInvalid, "profile_photo: image has no pixels")
	case cfg.Width > MaxSide || cfg.Height > MaxSide:
		return "", roster.Errorf(roster.KindInvalid, "profile_photo: width and height must be at most %d pixels", MaxSide)
	case cfg.Width*cfg.Height > MaxPixels:
		return "", roster.Errorf(roster.KindInvalid, "profile_photo: must be at most %d pixels in total", MaxPixels)
	case cfg.Width*cfg.Height*bytesPerPixel(cfg.ColorModel) > MaxDecodeBytes:
		return "", roster.Errorf(roster.KindInvalid,
			"profile_photo: %dx%d pixels at this colour depth would take more than %d MB to process; send a smaller image",
			cfg.Width, cfg.Height, MaxDecodeBytes>>20)
	}
	return format, nil
}

// encode encodes img as ext says.
func encode(img image.Image, ext string) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	if ext == "jpg" {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	} else {
		err = png.Encode(&buf, img)
	}
	return buf.Bytes(), err
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
