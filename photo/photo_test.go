package photo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"runtime"
	"testing"

	"roster"
)

func testImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 13), uint8(x ^ y), 255})
		}
	}
	return img
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeJPEG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func wantError(t *testing.T, err error, kind roster.Kind, msg string) {
	t.Helper()
	var e *roster.Error
	if !errors.As(err, &e) || e.Kind != kind || e.Message != msg {
		t.Fatalf("error = %#v, want kind %d %q", err, kind, msg)
	}
}

func TestNormalizePNG(t *testing.T) {
	src := testImage(40, 30)
	data, ext, err := Normalize(bytes.NewReader(encodePNG(t, src)))
	if err != nil || ext != "png" {
		t.Fatalf("Normalize = %q, %v; want png, nil", ext, err)
	}
	got, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds() != src.Bounds() {
		t.Fatalf("bounds = %v, want %v", got.Bounds(), src.Bounds())
	}
	for y := range 30 {
		for x := range 40 {
			if g, w := color.RGBAModel.Convert(got.At(x, y)), src.At(x, y); g != w {
				t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, g, w)
			}
		}
	}
}

func TestNormalizeJPEG(t *testing.T) {
	data, ext, err := Normalize(bytes.NewReader(encodeJPEG(t, testImage(40, 30))))
	if err != nil || ext != "jpg" {
		t.Fatalf("Normalize = %q, %v; want jpg, nil", ext, err)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || format != "jpeg" || cfg.Width != 40 || cfg.Height != 30 {
		t.Fatalf("output: %s %dx%d, %v; want jpeg 40x30", format, cfg.Width, cfg.Height, err)
	}
}

func TestNormalizeDropsEXIF(t *testing.T) {
	plain := encodeJPEG(t, testImage(16, 16))
	payload := []byte("Exif\x00\x00II*\x00\x08\x00\x00\x00GPSLatitude\x0051 30 N")
	app1 := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(app1[2:], uint16(2+len(payload)))
	app1 = append(app1, payload...)
	in := append(append(plain[:2:2], app1...), plain[2:]...)
	if _, err := jpeg.Decode(bytes.NewReader(in)); err != nil {
		t.Fatalf("test input is not a valid JPEG: %v", err)
	}

	out, ext, err := Normalize(bytes.NewReader(in))
	if err != nil || ext != "jpg" {
		t.Fatalf("Normalize = %q, %v; want jpg, nil", ext, err)
	}
	for _, s := range []string{"GPSLatitude", "Exif"} {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("output still contains %q", s)
		}
	}
}

func TestNormalizeRejectsFormats(t *testing.T) {
	var gifData bytes.Buffer
	if err := gif.Encode(&gifData, testImage(8, 8), nil); err != nil {
		t.Fatal(err)
	}
	pngData := encodePNG(t, testImage(64, 64))
	const notImage = "profile_photo: must be a JPEG or PNG image"
	const corrupt = "profile_photo: not a valid JPEG or PNG image"
	for _, tc := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"gif", gifData.Bytes(), notImage},
		{"text", []byte("hello, this is not an image\n"), notImage},
		{"empty", nil, notImage},
		{"truncated png", pngData[:len(pngData)/2], corrupt},
		{"png header only", pngData[:20], corrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Normalize(bytes.NewReader(tc.data))
			wantError(t, err, roster.KindInvalid, tc.msg)
		})
	}
}

// pngHeader returns a PNG signature and an IHDR chunk, with a correct CRC,
// for an 8-bit RGBA image of the given size, and no pixel data.
func pngHeader(w, h uint32) []byte {
	ihdr := []byte("IHDR\x00\x00\x00\x00\x00\x00\x00\x00\x08\x06\x00\x00\x00")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	b := []byte("\x89PNG\r\n\x1a\n")
	b = binary.BigEndian.AppendUint32(b, 13)
	b = append(b, ihdr...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(ihdr))
}

func TestNormalizeRejectsHugeImages(t *testing.T) {
	// A JPEG whose frame header says 0x0.
	zero := encodeJPEG(t, testImage(8, 8))
	sof := bytes.Index(zero, []byte{0xFF, 0xC0})
	copy(zero[sof+5:], []byte{0, 0, 0, 0})

	const sides = "profile_photo: width and height must be at most 10000 pixels"
	for _, tc := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"50000x50000", pngHeader(50000, 50000), sides},
		{"wide", pngHeader(10001, 1), sides},
		{"tall", pngHeader(1, 10001), sides},
		{"9000x9000", pngHeader(9000, 9000), "profile_photo: must be at most 40000000 pixels in total"},
		{"zero jpeg", zero, "profile_photo: image has no pixels"},
		// 8-bit RGBA decodes to 4 bytes a pixel: 20 megapixels is 80 MB.
		{"5000x4000 RGBA", pngHeader(5000, 4000),
			"profile_photo: 5000x4000 pixels at this colour depth would take more than 64 MB to process; send a smaller image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, err := Normalize(bytes.NewReader(tc.data))
			runtime.ReadMemStats(&after)
			wantError(t, err, roster.KindInvalid, tc.msg)
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
				t.Errorf("allocated %d bytes", n)
			}
		})
	}

	// At the limits (4000x4000 RGBA is exactly 64 MB), the header is
	// accepted and decoding fails on the missing pixel data instead.
	_, _, err := Normalize(bytes.NewReader(pngHeader(4000, 4000)))
	wantError(t, err, roster.KindInvalid, "profile_photo: not a valid JPEG or PNG image")
}

// endless is an io.Reader that never runs out.
type endless struct{}

func (endless) Read(p []byte) (int, error) { return len(p), nil }

func TestNormalizeSize(t *testing.T) {
	const msg = "profile_photo: larger than 10 MB"
	_, _, err := Normalize(bytes.NewReader(make([]byte, MaxBytes+1)))
	wantError(t, err, roster.KindTooLarge, msg)
	_, _, err = Normalize(endless{})
	wantError(t, err, roster.KindTooLarge, msg)

	// Exactly MaxBytes is within the limit and fails for its content.
	_, _, err = Normalize(bytes.NewReader(make([]byte, MaxBytes)))
	wantError(t, err, roster.KindInvalid, "profile_photo: must be a JPEG or PNG image")
}

func TestContentType(t *testing.T) {
	for ext, want := range map[string]string{"jpg": "image/jpeg", "png": "image/png", "gif": "", "": ""} {
		if got := ContentType(ext); got != want {
			t.Errorf("ContentType(%q) = %q, want %q", ext, got, want)
		}
	}
}
