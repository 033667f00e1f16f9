package photo

import (
	"image"
	"image/color"
	"image/draw"
)

// ThumbSide is the longest side of a thumbnail, in pixels.
const ThumbSide = 256

// thumbnail returns img scaled down, keeping its proportions, so that its
// longest side is at most ThumbSide; a smaller image keeps its size. Each
// thumbnail pixel is the mean of the source pixels it covers, which keeps
// fine detail from turning into noise, and the sums for one row of the
// thumbnail are all it holds besides the thumbnail itself.
func thumbnail(img image.Image) *image.RGBA {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dw, dh := sw, sh
	if side := max(sw, sh); side > ThumbSide {
		dw, dh = max(1, sw*ThumbSide/side), max(1, sh*ThumbSide/side)
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	if dw == sw && dh == sh {
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
		return dst
	}
	src, fast := img.(image.RGBA64Image) // every decoded JPEG and PNG is one
	sums := make([][4]uint64, dw)
	counts := make([]uint64, dw)
	for dy := range dh {
		clear(sums)
		clear(counts)
		for sy := dy * sh / dh; sy < (dy+1)*sh/dh; sy++ {
			for sx := range sw {
				var c color.RGBA64
				if fast {
					c = src.RGBA64At(b.Min.X+sx, b.Min.Y+sy)
				} else {
					c = color.RGBA64Model.Convert(img.At(b.Min.X+sx, b.Min.Y+sy)).(color.RGBA64)
				}
				s := &sums[sx*dw/sw]
				s[0] += uint64(c.R)
				s[1] += uint64(c.G)
				s[2] += uint64(c.B)
				s[3] += uint64(c.A)
				counts[sx*dw/sw]++
			}
		}
		for dx := range dw {
			s, n := sums[dx], max(counts[dx], 1)
			i := dst.PixOffset(dx, dy)
			// Premultiplied 16-bit means, shifted down to 8 bits.
			dst.Pix[i+0] = uint8(s[0] / n >> 8)
			dst.Pix[i+1] = uint8(s[1] / n >> 8)
			dst.Pix[i+2] = uint8(s[2] / n >> 8)
			dst.Pix[i+3] = uint8(s[3] / n >> 8)
		}
	}
	return dst
}
