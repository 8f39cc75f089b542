package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"strings"
)

// A 3x5 bitmap font (upper case, digits and a little punctuation), drawn at
// scale 2: enough for axis labels and a legend without external packages.
var glyphs = map[rune][5]string{
	'0': {"###", "#.#", "#.#", "#.#", "###"}, '1': {".#.", "##.", ".#.", ".#.", "###"},
	'2': {"###", "..#", "###", "#..", "###"}, '3': {"###", "..#", ".##", "..#", "###"},
	'4': {"#.#", "#.#", "###", "..#", "..#"}, '5': {"###", "#..", "###", "..#", "###"},
	'6': {"###", "#..", "###", "#.#", "###"}, '7': {"###", "..#", ".#.", ".#.", ".#."},
	'8': {"###", "#.#", "###", "#.#", "###"}, '9': {"###", "#.#", "###", "..#", "###"},
	'A': {".#.", "#.#", "###", "#.#", "#.#"}, 'B': {"##.", "#.#", "##.", "#.#", "##."},
	'C': {".##", "#..", "#..", "#..", ".##"}, 'D': {"##.", "#.#", "#.#", "#.#", "##."},
	'E': {"###", "#..", "##.", "#..", "###"}, 'F': {"###", "#..", "##.", "#..", "#.."},
	'G': {".##", "#..", "#.#", "#.#", ".##"}, 'H': {"#.#", "#.#", "###", "#.#", "#.#"},
	'I': {"###", ".#.", ".#.", ".#.", "###"}, 'J': {"..#", "..#", "..#", "#.#", ".#."},
	'K': {"#.#", "#.#", "##.", "#.#", "#.#"}, 'L': {"#..", "#..", "#..", "#..", "###"},
	'M': {"#.#", "###", "###", "#.#", "#.#"}, 'N': {"##.", "#.#", "#.#", "#.#", "#.#"},
	'O': {".#.", "#.#", "#.#", "#.#", ".#."}, 'P': {"##.", "#.#", "##.", "#..", "#.."},
	'Q': {".#.", "#.#", "#.#", "##.", ".##"}, 'R': {"##.", "#.#", "##.", "#.#", "#.#"},
	'S': {".##", "#..", ".#.", "..#", "##."}, 'T': {"###", ".#.", ".#.", ".#.", ".#."},
	'U': {"#.#", "#.#", "#.#", "#.#", "###"}, 'V': {"#.#", "#.#", "#.#", "#.#", ".#."},
	'W': {"#.#", "#.#", "###", "###", "#.#"}, 'X': {"#.#", "#.#", ".#.", "#.#", "#.#"},
	'Y': {"#.#", "#.#", ".#.", ".#.", ".#."}, 'Z': {"###", "..#", ".#.", "#..", "###"},
	' ': {"...", "...", "...", "...", "..."}, '.': {"...", "...", "...", "...", ".#."},
	',': {"...", "...", "...", ".#.", "#.."}, '-': {"...", "...", "###", "...", "..."},
	'/': {"..#", "..#", ".#.", "#..", "#.."}, ':': {"...", ".#.", "...", ".#.", "..."},
	'(': {".#.", "#..", "#..", "#..", ".#."}, ')': {".#.", "..#", "..#", "..#", ".#."},
	'=': {"...", "###", "...", "###", "..."}, '%': {"#.#", "..#", ".#.", "#..", "#.#"},
}

const fontScale = 2

func drawText(img *image.RGBA, x, y int, s string, c color.Color) {
	for _, r := range strings.ToUpper(s) {
		g, ok := glyphs[r]
		if !ok {
			g = glyphs[' ']
		}
		for row := range 5 {
			for col := range 3 {
				if g[row][col] == '#' {
					for dy := range fontScale {
						for dx := range fontScale {
							img.Set(x+col*fontScale+dx, y+row*fontScale+dy, c)
						}
					}
				}
			}
		}
		x += 4 * fontScale
	}
}

func textWidth(s string) int { return len(s) * 4 * fontScale }

func line(img *image.RGBA, x0, y0, x1, y1 int, c color.Color, thick int) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		for t := range thick {
			img.Set(x0, y0+t, c)
			img.Set(x0+t, y0, c)
		}
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

type series struct {
	name   string
	values []int64 // one per second
}

var palette = []color.RGBA{{0x1f, 0x77, 0xb4, 255}, {0xd6, 0x27, 0x28, 255}, {0x2c, 0xa0, 0x2c, 255},
	{0xff, 0x7f, 0x0e, 255}, {0x94, 0x67, 0xbd, 255}, {0x8c, 0x56, 0x4b, 255}}

// plotThroughput draws spans/s per second of every series on a log-free
// linear chart with axes, ticks, labels and a legend.
func plotThroughput(path, title string, ss []series) error {
	const W, H = 1000, 560
	const left, right, top, bottom = 90, 250, 50, 60
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	black := color.RGBA{0, 0, 0, 255}
	grey := color.RGBA{220, 220, 220, 255}
	var maxX int
	var maxY int64
	for _, s := range ss {
		maxX = max(maxX, len(s.values))
		for _, v := range s.values {
			maxY = max(maxY, v)
		}
	}
	if maxX < 2 {
		maxX = 2
	}
	yStep := niceStep(float64(maxY) / 6)
	yMax := yStep * float64(int(float64(maxY)/yStep)+1)
	pw, ph := W-left-right, H-top-bottom
	px := func(i int) int { return left + i*pw/(maxX-1) }
	py := func(v float64) int { return top + ph - int(v/yMax*float64(ph)) }

	for v := 0.0; v <= yMax+1; v += yStep {
		y := py(v)
		line(img, left, y, left+pw, y, grey, 1)
		lbl := fmt.Sprintf("%.0f", v)
		if v >= 1000 {
			lbl = fmt.Sprintf("%.0fK", v/1000)
		}
		drawText(img, left-10-textWidth(lbl), y-5, lbl, black)
	}
	xStep := int(niceStep(float64(maxX) / 10))
	if xStep < 1 {
		xStep = 1
	}
	for x := 0; x < maxX; x += xStep {
		line(img, px(x), top+ph, px(x), top+ph+5, black, 1)
		lbl := fmt.Sprint(x)
		drawText(img, px(x)-textWidth(lbl)/2, top+ph+10, lbl, black)
	}
	line(img, left, top, left, top+ph, black, 2)
	line(img, left, top+ph, left+pw, top+ph, black, 2)
	drawText(img, left+pw/2-textWidth("SECONDS")/2, H-25, "seconds", black)
	drawText(img, 10, top-25, "accepted spans/s", black)
	drawText(img, left+pw/2-textWidth(title)/2, 12, title, black)
	for i, s := range ss {
		c := palette[i%len(palette)]
		for j := 1; j < len(s.values); j++ {
			line(img, px(j-1), py(float64(s.values[j-1])), px(j), py(float64(s.values[j])), c, 2)
		}
		ly := top + 10 + i*24
		line(img, W-right+20, ly+5, W-right+50, ly+5, c, 3)
		drawText(img, W-right+58, ly, s.name, black)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := 1.0
	for p*10 <= raw {
		p *= 10
	}
	for p > raw {
		p /= 10
	}
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}
