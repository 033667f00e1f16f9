package photo

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
)

// exifOrientation returns the orientation tag (1 to 8) of a JPEG's EXIF
// block, or 1, upright, when there is none or it cannot be read. Only the
// JPEG's segments before its image data are read, within jpeg's own bytes.
func exifOrientation(jpeg []byte) int {
	if len(jpeg) < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8 {
		return 1
	}
	for rest := jpeg[2:]; len(rest) >= 4 && rest[0] == 0xFF; {
		marker, size := rest[1], int(binary.BigEndian.Uint16(rest[2:4]))
		if marker == 0xDA || size < 2 || 2+size > len(rest) { // image data, or a broken segment
			return 1
		}
		if body := rest[4 : 2+size]; marker == 0xE1 && bytes.HasPrefix(body, []byte("Exif\x00\x00")) {
			return tiffOrientation(body[6:])
		}
		rest = rest[2+size:]
	}
	return 1
}

// tiffOrientation reads tag 0x0112 of the first directory of an EXIF
// block's TIFF structure.
func tiffOrientation(tiff []byte) int {
	if len(tiff) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 1
	}
	ifd := int64(order.Uint32(tiff[4:8]))
	if ifd+2 > int64(len(tiff)) {
		return 1
	}
	n := int64(order.Uint16(tiff[ifd:]))
	for i := range n {
		e := ifd + 2 + 12*i
		if e+12 > int64(len(tiff)) {
			return 1
		}
		const tagOrientation, typeShort = 0x0112, 3
		if order.Uint16(tiff[e:]) == tagOrientation && order.Uint16(tiff[e+2:]) == typeShort {
			if o := int(order.Uint16(tiff[e+8:])); 1 <= o && o <= 8 {
				return o
			}
			return 1
		}
	}
	return 1
}

// oriented shows an image as its EXIF orientation says it is to be seen,
// without copying its pixels: a photo being re-encoded is never held
// twice.
type oriented struct {
	src image.Image
	o   int // 2 to 8
}

// orient returns img as orientation o says to show it.
func orient(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	return oriented{src: img, o: o}
}

// transposes reports whether orientation o swaps width and height.
func transposes(o int) bool { return o >= 5 }

func (v oriented) ColorModel() color.Model { return v.src.ColorModel() }

func (v oriented) Bounds() image.Rectangle {
	b := v.src.Bounds()
	if transposes(v.o) {
		return image.Rect(0, 0, b.Dy(), b.Dx())
	}
	return image.Rect(0, 0, b.Dx(), b.Dy())
}

func (v oriented) At(x, y int) color.Color {
	b := v.src.Bounds()
	w, h := b.Dx(), b.Dy()
	var sx, sy int
	switch v.o {
	case 2: // mirrored
		sx, sy = w-1-x, y
	case 3: // upside down
		sx, sy = w-1-x, h-1-y
	case 4: // mirrored upside down
		sx, sy = x, h-1-y
	case 5: // transposed
		sx, sy = y, x
	case 6: // turned left by the camera: turn right
		sx, sy = y, h-1-x
	case 7: // transversed
		sx, sy = w-1-y, h-1-x
	default: // 8, turned right: turn left
		sx, sy = w-1-y, x
	}
	return v.src.At(b.Min.X+sx, b.Min.Y+sy)
}
