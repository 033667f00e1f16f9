package photo_test

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
	"slices"
	"testing"

	"roster"
	"roster/photo"
	"roster/photo/phototest"
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

func wantError(t *testing.T, err error, kind roster.Kind, msg string) {
	t.Helper()
	var e *roster.Error
	if !errors.As(err, &e) || e.Kind != kind || e.Message != msg {
		t.Fatalf("error = %#v, want kind %d %q", err, kind, msg)
	}
}

func TestNormalizePNG(t *testing.T) {
	src := testImage(40, 30)
	up, err := photo.Normalize(bytes.NewReader(phototest.EncodePNG(t, src)))
	if err != nil || up.Ext != "png" {
		t.Fatalf("Normalize = %v, %v; want png, nil", up, err)
	}
	got, err := png.Decode(bytes.NewReader(up.Data))
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
	up, err := photo.Normalize(bytes.NewReader(phototest.EncodeJPEG(t, testImage(40, 30))))
	if err != nil || up.Ext != "jpg" {
		t.Fatalf("Normalize = %v, %v; want jpg, nil", up, err)
	}
	for _, data := range [][]byte{up.Data, up.Thumbnail} {
		cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil || format != "jpeg" || cfg.Width != 40 || cfg.Height != 30 {
			t.Fatalf("output: %s %dx%d, %v; want jpeg 40x30", format, cfg.Width, cfg.Height, err)
		}
	}
}

// A JPEG whose EXIF block says the camera was turned is stored upright,
// photo and thumbnail, and the EXIF block is gone.
func TestNormalizeAppliesOrientation(t *testing.T) {
	src := phototest.EncodeJPEG(t, phototest.Quadrants(600, 300)) // larger than a thumbnail
	for _, tc := range []struct {
		o      uint16
		order  binary.AppendByteOrder
		w, h   int
		corner [4]color.RGBA
	}{
		{1, binary.LittleEndian, 600, 300, [4]color.RGBA{phototest.Red, phototest.Green, phototest.Blue, phototest.White}},
		{3, binary.BigEndian, 600, 300, [4]color.RGBA{phototest.White, phototest.Blue, phototest.Green, phototest.Red}},
		// 6, the usual portrait photo: turned right to be seen.
		{6, binary.BigEndian, 300, 600, [4]color.RGBA{phototest.Blue, phototest.Red, phototest.White, phototest.Green}},
		{6, binary.LittleEndian, 300, 600, [4]color.RGBA{phototest.Blue, phototest.Red, phototest.White, phototest.Green}},
		{8, binary.LittleEndian, 300, 600, [4]color.RGBA{phototest.Green, phototest.White, phototest.Red, phototest.Blue}},
		{2, binary.LittleEndian, 600, 300, [4]color.RGBA{phototest.Green, phototest.Red, phototest.White, phototest.Blue}},
		{5, binary.LittleEndian, 300, 600, [4]color.RGBA{phototest.Red, phototest.Blue, phototest.Green, phototest.White}},
		{7, binary.LittleEndian, 300, 600, [4]color.RGBA{phototest.White, phototest.Green, phototest.Blue, phototest.Red}},
		{4, binary.LittleEndian, 600, 300, [4]color.RGBA{phototest.Blue, phototest.White, phototest.Red, phototest.Green}},
	} {
		in := phototest.WithAPP1(t, src, phototest.EXIFBlock(tc.o, tc.order))
		up, err := photo.Normalize(bytes.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(up.Data, []byte("Exif")) {
			t.Errorf("orientation %d: the EXIF block is still there", tc.o)
		}
		for _, out := range []struct {
			data []byte
			w, h int
		}{{up.Data, tc.w, tc.h}, {up.Thumbnail, tc.w * 256 / 600, tc.h * 256 / 600}} {
			img, err := jpeg.Decode(bytes.NewReader(out.data))
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != out.w || b.Dy() != out.h {
				t.Errorf("orientation %d: %dx%d, want %dx%d", tc.o, b.Dx(), b.Dy(), out.w, out.h)
			}
			if got := phototest.Corners(img); got != tc.corner {
				t.Errorf("orientation %d %dx%d: corners %v, want %v", tc.o, out.w, out.h, got, tc.corner)
			}
		}
	}
}

// Broken EXIF blocks are read as upright, never past their end.
func TestEXIFOrientationBroken(t *testing.T) {
	good := phototest.EXIFBlock(6, binary.LittleEndian)
	for _, body := range [][]byte{
		good[:len(good)-10], // cut inside the orientation entry
		good[:10],           // cut inside the TIFF header
		[]byte("Exif\x00\x00XX*\x00\x08\x00\x00\x00"),                    // unknown byte order
		[]byte("Exif\x00\x00II*\x00\xff\xff\xff\x7f"),                    // directory far past the end
		append(slices.Clone(good[:len(good)-8]), 9, 0, 0, 0, 0, 0, 0, 0), // orientation 9
	} {
		in := phototest.WithAPP1(t, phototest.EncodeJPEG(t, phototest.Quadrants(16, 8)), body)
		up, err := photo.Normalize(bytes.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(bytes.NewReader(up.Data))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := phototest.Corners(img), phototest.Corners(phototest.Quadrants(16, 8)); img.Bounds().Dx() != 16 || got != want {
			t.Errorf("EXIF block %q: %v, corners %v; want upright", body, img.Bounds(), got)
		}
	}
}

// A thumbnail keeps the photo's proportions and format, and its pixels are
// the means of the photo's.
func TestNormalizeThumbnail(t *testing.T) {
	for _, tc := range []struct {
		w, h, tw, th int
	}{{1000, 500, 256, 128}, {300, 1200, 64, 256}, {256, 256, 256, 256}, {100, 50, 100, 50}} {
		up, err := photo.Normalize(bytes.NewReader(phototest.EncodePNG(t, phototest.Quadrants(tc.w, tc.h))))
		if err != nil || up.Ext != "png" {
			t.Fatalf("Normalize = %v, %v", up, err)
		}
		img, err := png.Decode(bytes.NewReader(up.Thumbnail))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != tc.tw || b.Dy() != tc.th {
			t.Errorf("%dx%d: thumbnail %dx%d, want %dx%d", tc.w, tc.h, b.Dx(), b.Dy(), tc.tw, tc.th)
		}
		if got, want := phototest.Corners(img), [4]color.RGBA{phototest.Red, phototest.Green, phototest.Blue, phototest.White}; got != want {
			t.Errorf("%dx%d: corners %v, want %v", tc.w, tc.h, got, want)
		}
	}
	// A stripe of one colour in four thumbnail pixels becomes their mean.
	src := image.NewRGBA(image.Rect(0, 0, 1024, 4))
	for y := range 4 {
		for x := range 1024 {
			if x%4 == 0 {
				src.SetRGBA(x, y, phototest.White)
			} else {
				src.SetRGBA(x, y, color.RGBA{0, 0, 0, 255})
			}
		}
	}
	up, err := photo.Normalize(bytes.NewReader(phototest.EncodePNG(t, src)))
	if err != nil {
		t.Fatal(err)
	}
	thumb, err := png.Decode(bytes.NewReader(up.Thumbnail))
	if err != nil {
		t.Fatal(err)
	}
	if got := color.RGBAModel.Convert(thumb.At(10, 0)); got != (color.RGBA{63, 63, 63, 255}) {
		t.Errorf("mean of 1 white and 3 black pixels = %v, want grey 63", got)
	}
}

func TestNormalizeDropsEXIF(t *testing.T) {
	in := phototest.WithAPP1(t, phototest.EncodeJPEG(t, testImage(16, 16)), []byte("Exif\x00\x00II*\x00\x08\x00\x00\x00GPSLatitude\x0051 30 N"))

	up, err := photo.Normalize(bytes.NewReader(in))
	if err != nil || up.Ext != "jpg" {
		t.Fatalf("Normalize = %v, %v; want jpg, nil", up, err)
	}
	for _, s := range []string{"GPSLatitude", "Exif"} {
		if bytes.Contains(up.Data, []byte(s)) || bytes.Contains(up.Thumbnail, []byte(s)) {
			t.Errorf("output still contains %q", s)
		}
	}
}

func TestNormalizeRejectsFormats(t *testing.T) {
	var gifData bytes.Buffer
	if err := gif.Encode(&gifData, testImage(8, 8), nil); err != nil {
		t.Fatal(err)
	}
	pngData := phototest.EncodePNG(t, testImage(64, 64))
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
			_, err := photo.Normalize(bytes.NewReader(tc.data))
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
	zero := phototest.EncodeJPEG(t, testImage(8, 8))
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
			_, err := photo.Normalize(bytes.NewReader(tc.data))
			runtime.ReadMemStats(&after)
			wantError(t, err, roster.KindInvalid, tc.msg)
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
				t.Errorf("allocated %d bytes", n)
			}
		})
	}

	// At the limits (4000x4000 RGBA is exactly 64 MB), the header is
	// accepted and decoding fails on the missing pixel data instead.
	_, err := photo.Normalize(bytes.NewReader(pngHeader(4000, 4000)))
	wantError(t, err, roster.KindInvalid, "profile_photo: not a valid JPEG or PNG image")
}

// endless is an io.Reader that never runs out.
type endless struct{}

func (endless) Read(p []byte) (int, error) { return len(p), nil }

func TestNormalizeSize(t *testing.T) {
	const msg = "profile_photo: larger than 10 MB"
	_, err := photo.Normalize(bytes.NewReader(make([]byte, photo.MaxBytes+1)))
	wantError(t, err, roster.KindTooLarge, msg)
	_, err = photo.Normalize(endless{})
	wantError(t, err, roster.KindTooLarge, msg)

	// Exactly photo.MaxBytes is within the limit and fails for its content.
	_, err = photo.Normalize(bytes.NewReader(make([]byte, photo.MaxBytes)))
	wantError(t, err, roster.KindInvalid, "profile_photo: must be a JPEG or PNG image")
}

func TestContentType(t *testing.T) {
	for ext, want := range map[string]string{"jpg": "image/jpeg", "png": "image/png", "gif": "", "": ""} {
		if got := photo.ContentType(ext); got != want {
			t.Errorf("photo.ContentType(%q) = %q, want %q", ext, got, want)
		}
	}
}
