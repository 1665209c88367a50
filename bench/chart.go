package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/template"
)

// Geometry of the chart, in SVG user units.
const (
	chartWidth  = 640
	chartHeight = 360
	plotLeft    = 70
	plotRight   = 500
	plotTop     = 40
	plotBottom  = 300
	yTicks      = 5
)

// serverColors are the chart's line colours.
var serverColors = map[string]string{
	ServerJitgate: "#d62728",
	ServerBare:    "#1f77b4",
	ServerNginx:   "#2ca02c",
	ServerHAProxy: "#9467bd",
}

// chartData is what chartTemplate draws.
type chartData struct {
	Width, Height, Left, Right, Top, Bottom int
	LegendX                                 int
	Title                                   string
	XTicks                                  []tick
	YTicks                                  []tick
	Lines                                   []line
}

type tick struct {
	Pos   float64
	Label string
}

type line struct {
	Name, Color string
	Points      string
	Dots        []point
	LegendY     int
}

type point struct{ X, Y float64 }

var chartTemplate = template.Must(template.New("chart").Parse(`<svg xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{{.Left}}" y="22" font-size="14" font-weight="bold">{{.Title}}</text>
{{range .YTicks}}<line x1="{{$.Left}}" x2="{{$.Right}}" y1="{{.Pos}}" y2="{{.Pos}}" stroke="#ddd"/>
<text x="{{$.Left}}" dx="-6" y="{{.Pos}}" dy="4" text-anchor="end">{{.Label}}</text>
{{end}}{{range .XTicks}}<text x="{{.Pos}}" y="{{$.Bottom}}" dy="18" text-anchor="middle">{{.Label}}</text>
{{end}}<text x="{{.Left}}" y="{{.Bottom}}" dy="36">connections at once</text>
<line x1="{{.Left}}" x2="{{.Right}}" y1="{{.Bottom}}" y2="{{.Bottom}}" stroke="black"/>
<line x1="{{.Left}}" x2="{{.Left}}" y1="{{.Top}}" y2="{{.Bottom}}" stroke="black"/>
{{range .Lines}}{{$color := .Color}}<polyline points="{{.Points}}" fill="none" stroke="{{.Color}}" stroke-width="2"/>
{{range .Dots}}<circle cx="{{.X}}" cy="{{.Y}}" r="3" fill="{{$color}}"/>
{{end}}<rect x="{{$.LegendX}}" y="{{.LegendY}}" width="12" height="12" fill="{{.Color}}"/>
<text x="{{$.LegendX}}" y="{{.LegendY}}" dx="18" dy="10">{{.Name}}</text>
{{end}}</svg>
`))

// WriteChart draws the full-handshake rate per server CPU-second by
// concurrency, X25519, one line per server, as SVG.
func (r *Report) WriteChart(w io.Writer) error {
	m := medianResults(r.Trials)
	conc := r.Settings.Concurrency
	top := 0.0
	for k, res := range m {
		if k.kex == KexX25519 && k.mode == ModeFull {
			top = max(top, res.OpsPerCPUSec)
		}
	}
	top = niceCeiling(top)

	d := chartData{Width: chartWidth, Height: chartHeight, Left: plotLeft,
		Right: plotRight, Top: plotTop, Bottom: plotBottom, LegendX: plotRight + 16,
		Title:  "Full mTLS handshakes per server CPU-second (X25519, median)",
		XTicks: xTicks(conc), YTicks: yTickMarks(top)}
	for i, s := range r.Settings.Servers {
		d.Lines = append(d.Lines, chartLine(m, s, conc, top, plotTop+20+20*i))
	}
	return chartTemplate.Execute(w, d)
}

// chartLine returns the line of server s.
func chartLine(m medians, s string, conc []int, top float64, legendY int) line {
	l := line{Name: title(s), Color: serverColors[s], LegendY: legendY}
	if l.Color == "" {
		l.Color = "black"
	}
	var pts []string
	for i, c := range conc {
		v := m[trialKey{s, KexX25519, ModeFull, c}].OpsPerCPUSec
		p := point{X: xPos(i, len(conc)), Y: yPos(v, top)}
		l.Dots = append(l.Dots, p)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", p.X, p.Y))
	}
	l.Points = strings.Join(pts, " ")
	return l
}

// xPos spaces n categories evenly across the plot.
func xPos(i, n int) float64 {
	if n == 1 {
		return (plotLeft + plotRight) / 2
	}
	step := float64(plotRight-plotLeft-40) / float64(n-1)
	return plotLeft + 20 + step*float64(i)
}

// yPos maps v in [0, top] onto the plot's height.
func yPos(v, top float64) float64 {
	if top == 0 {
		return plotBottom
	}
	return plotBottom - (plotBottom-plotTop)*v/top
}

func xTicks(conc []int) []tick {
	ts := make([]tick, len(conc))
	for i, c := range conc {
		ts[i] = tick{Pos: xPos(i, len(conc)), Label: fmt.Sprint(c)}
	}
	return ts
}

func yTickMarks(top float64) []tick {
	ts := make([]tick, yTicks+1)
	for i := range ts {
		v := top * float64(i) / yTicks
		ts[i] = tick{Pos: yPos(v, top), Label: fmt.Sprintf("%.0f", v)}
	}
	return ts
}

// niceCeiling rounds v up to 1, 2 or 5 times a power of ten, at least 1.
func niceCeiling(v float64) float64 {
	if v <= 1 {
		return 1
	}
	pow := math.Pow(10, math.Floor(math.Log10(v)))
	for _, f := range []float64{1, 2, 5, 10} {
		if f*pow >= v {
			return f * pow
		}
	}
	return 10 * pow
}
