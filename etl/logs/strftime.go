package logs

import (
	"strconv"
	"time"
)

// strftime appends t formatted as C strftime in the "C" locale does (what
// Apache's apr_strftime calls). Unknown conversions are copied as they are.
func strftime(dst []byte, layout string, t time.Time) []byte {
	pad := func(dst []byte, n, width int, fill byte) []byte {
		s := strconv.Itoa(n)
		for i := len(s); i < width; i++ {
			dst = append(dst, fill)
		}
		return append(dst, s...)
	}
	for i := 0; i < len(layout); i++ {
		c := layout[i]
		if c != '%' || i+1 == len(layout) {
			dst = append(dst, c)
			continue
		}
		i++
		switch layout[i] {
		case '%':
			dst = append(dst, '%')
		case 'a':
			dst = append(dst, t.Weekday().String()[:3]...)
		case 'A':
			dst = append(dst, t.Weekday().String()...)
		case 'b', 'h':
			dst = append(dst, t.Month().String()[:3]...)
		case 'B':
			dst = append(dst, t.Month().String()...)
		case 'c':
			dst = append(dst, t.Format("Mon Jan  2 15:04:05 2006")...)
		case 'C':
			dst = pad(dst, t.Year()/100, 2, '0')
		case 'd':
			dst = pad(dst, t.Day(), 2, '0')
		case 'D':
			dst = append(dst, t.Format("01/02/06")...)
		case 'e':
			dst = pad(dst, t.Day(), 2, ' ')
		case 'F':
			dst = append(dst, t.Format("2006-01-02")...)
		case 'G':
			y, _ := t.ISOWeek()
			dst = strconv.AppendInt(dst, int64(y), 10)
		case 'g':
			y, _ := t.ISOWeek()
			dst = pad(dst, y%100, 2, '0')
		case 'H':
			dst = pad(dst, t.Hour(), 2, '0')
		case 'I':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			dst = pad(dst, h, 2, '0')
		case 'j':
			dst = pad(dst, t.YearDay(), 3, '0')
		case 'k':
			dst = pad(dst, t.Hour(), 2, ' ')
		case 'l':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			dst = pad(dst, h, 2, ' ')
		case 'm':
			dst = pad(dst, int(t.Month()), 2, '0')
		case 'M':
			dst = pad(dst, t.Minute(), 2, '0')
		case 'n':
			dst = append(dst, '\n')
		case 'p':
			if t.Hour() < 12 {
				dst = append(dst, "AM"...)
			} else {
				dst = append(dst, "PM"...)
			}
		case 'r':
			dst = append(dst, t.Format("03:04:05 PM")...)
		case 'R':
			dst = append(dst, t.Format("15:04")...)
		case 's':
			dst = strconv.AppendInt(dst, t.Unix(), 10)
		case 'S':
			dst = pad(dst, t.Second(), 2, '0')
		case 't':
			dst = append(dst, '\t')
		case 'T':
			dst = append(dst, t.Format("15:04:05")...)
		case 'u':
			wd := int(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			dst = strconv.AppendInt(dst, int64(wd), 10)
		case 'U':
			dst = pad(dst, (t.YearDay()+6-int(t.Weekday()))/7, 2, '0')
		case 'V':
			_, w := t.ISOWeek()
			dst = pad(dst, w, 2, '0')
		case 'w':
			dst = strconv.AppendInt(dst, int64(t.Weekday()), 10)
		case 'W':
			dst = pad(dst, (t.YearDay()+6-(int(t.Weekday())+6)%7)/7, 2, '0')
		case 'x':
			dst = append(dst, t.Format("01/02/06")...)
		case 'X':
			dst = append(dst, t.Format("15:04:05")...)
		case 'y':
			dst = pad(dst, t.Year()%100, 2, '0')
		case 'Y':
			dst = strconv.AppendInt(dst, int64(t.Year()), 10)
		case 'z':
			dst = append(dst, t.Format("-0700")...)
		case 'Z':
			dst = append(dst, t.Format("MST")...)
		default:
			dst = append(dst, '%', layout[i])
		}
	}
	return dst
}
