package phototest

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// EncodePNG encodes img as PNG.
func EncodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// EncodeJPEG encodes img as JPEG.
func EncodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// WithAPP1 returns a JPEG with an APP1 segment holding payload after its
// start marker, where cameras put their EXIF block.
func WithAPP1(t testing.TB, jpg, payload []byte) []byte {
	t.Helper()
	app1 := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(app1[2:], uint16(2+len(payload)))
	app1 = append(app1, payload...)
	in := append(append(jpg[:2:2], app1...), jpg[2:]...)
	if _, err := jpeg.Decode(bytes.NewReader(in)); err != nil {
		t.Fatalf("test input is not a valid JPEG: %v", err)
	}
	return in
}

// EXIFBlock returns an EXIF block whose first directory holds orientation
// o, in the byte order a camera may choose.
func EXIFBlock(o uint16, order binary.AppendByteOrder) []byte {
	b := []byte("Exif\x00\x00")
	if order == binary.BigEndian {
		b = append(b, "MM"...)
	} else {
		b = append(b, "II"...)
	}
	b = order.AppendUint16(b, 42)
	b = order.AppendUint32(b, 8)      // the first directory follows the header
	b = order.AppendUint16(b, 2)      // entries
	b = order.AppendUint16(b, 0x010F) // Make, first as cameras write it
	b = order.AppendUint16(b, 2)
	b = order.AppendUint32(b, 4)
	b = append(b, "Cam\x00"...)
	b = order.AppendUint16(b, 0x0112) // Orientation: SHORT, one value
	b = order.AppendUint16(b, 3)
	b = order.AppendUint32(b, 1)
	b = order.AppendUint16(b, o)
	b = order.AppendUint16(b, 0)
	return order.AppendUint32(b, 0) // no next directory
}

// OrientedJPEG returns img as a JPEG whose EXIF block says orientation o,
// as a camera held turned writes it.
func OrientedJPEG(t testing.TB, img image.Image, o uint16) []byte {
	t.Helper()
	return WithAPP1(t, EncodeJPEG(t, img), EXIFBlock(o, binary.BigEndian))
}

// The colours of Quadrants.
var (
	Red   = color.RGBA{255, 0, 0, 255}
	Green = color.RGBA{0, 255, 0, 255}
	Blue  = color.RGBA{0, 0, 255, 255}
	White = color.RGBA{255, 255, 255, 255}
)

// Quadrants is a w×h image whose four quarters are red, green (top),
// blue and white (bottom), so that where each lands shows a turn.
func Quadrants(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, [2][2]color.RGBA{{Red, Green}, {Blue, White}}[2*y/h][2*x/w])
		}
	}
	return img
}

// Corners returns the colours near the corners of img, top left, top
// right, bottom left, bottom right, each rounded to full or no red, green
// and blue, so that JPEG's small errors do not count.
func Corners(img image.Image) [4]color.RGBA {
	b := img.Bounds()
	dx, dy := b.Dx()/8, b.Dy()/8
	var out [4]color.RGBA
	for i, p := range []image.Point{{dx, dy}, {b.Dx() - 1 - dx, dy}, {dx, b.Dy() - 1 - dy}, {b.Dx() - 1 - dx, b.Dy() - 1 - dy}} {
		r, g, bl, _ := img.At(b.Min.X+p.X, b.Min.Y+p.Y).RGBA()
		out[i] = color.RGBA{uint8(r >> 15 * 255), uint8(g >> 15 * 255), uint8(bl >> 15 * 255), 255}
	}
	return out
}
