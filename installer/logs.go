package installer

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// LogSource is where one component writes: systemd units (their journal)
// and log files.
type LogSource struct {
	Component string
	Units     []string
	Files     []string
}

// LogLine is one line of a component's log on a host.
type LogLine struct {
	Time      time.Time `json:"time"`
	Host      string    `json:"host"`
	Component string    `json:"component"`
	Line      string    `json:"line"`
}

// maxLogRead caps what one poll reads of one file.
const maxLogRead = 1 << 20

// LogTail reads the logs of sources on one host, from a point in time
// onwards, one round trip per Poll: the journal after the last cursor, each
// file after the last offset (from the start again when it was rotated or
// truncated).
type LogTail struct {
	Host    string
	T       transport.Transport
	Sources []LogSource
	// Since is where the first poll starts; zero: as far back as Last
	// lines go.
	Since time.Time
	// Last, when above zero, keeps only the last so many lines of the
	// first poll (journalctl -n, tail -n).
	Last int
	// SecretsFile is a JSON object on the host whose string values are
	// masked too (keys ending in _id are not secrets); read on the first
	// poll, never printed.
	SecretsFile string
	Redactor    *Redactor

	started bool
	cursor  string
	files   map[string]fileMark
	loc     *time.Location
	now     time.Time
	last    map[string]time.Time // per file: continuation lines take it
}

type fileMark struct {
	inode string
	off   int64
}

// Poll returns the lines written since the last poll (since Since on the
// first), in time order.
func (lt *LogTail) Poll(ctx context.Context) ([]LogLine, error) {
	if lt.files == nil {
		lt.files, lt.last = map[string]fileMark{}, map[string]time.Time{}
	}
	var units []string
	for _, s := range lt.Sources {
		units = append(units, s.Units...)
	}
	frags := []string{"date '+%s %z'", lt.journalCmd(units)}
	var files []string
	for _, s := range lt.Sources {
		for _, f := range s.Files {
			files = append(files, f)
			frags = append(frags, lt.fileCmd(f))
		}
	}
	if !lt.started && lt.SecretsFile != "" {
		frags = append(frags, sh("cat", lt.SecretsFile))
	}
	res, err := probeBatch(ctx, lt.T, nil, frags)
	if err != nil {
		return nil, fmt.Errorf("%s: read logs: %w", lt.Host, err)
	}
	lt.clock(res[0].Out)
	if !lt.started && lt.SecretsFile != "" {
		var sec map[string]any
		_ = json.Unmarshal([]byte(res[len(res)-1].Out), &sec)
		for k, v := range sec {
			if s, ok := v.(string); ok && !strings.HasSuffix(k, "_id") {
				lt.Redactor.Add(s)
			}
		}
	}
	var lines []LogLine
	lines = append(lines, lt.journal(res[1].Out)...)
	for i, f := range files {
		lines = append(lines, lt.file(f, res[2+i].Out)...)
	}
	if !lt.started {
		kept := lines[:0]
		for _, l := range lines {
			if !l.Time.Before(lt.Since) {
				kept = append(kept, l)
			}
		}
		lines = kept
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].Time.Before(lines[j].Time) })
	if !lt.started && lt.Last > 0 {
		lines = LastLines(lines, lt.Last)
	}
	lt.started = true
	for i := range lines {
		lines[i].Line = MaskTokens(lt.Redactor.String(lines[i].Line))
	}
	return lines, nil
}

func (lt *LogTail) clock(out string) {
	f := strings.Fields(out)
	lt.loc, lt.now = time.UTC, time.Now()
	if len(f) == 2 {
		if sec, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			lt.now = time.Unix(sec, 0)
		}
		if t, err := time.Parse("-0700", f[1]); err == nil {
			lt.loc = t.Location()
		}
	}
}

func (lt *LogTail) journalCmd(units []string) string {
	if len(units) == 0 {
		return "true"
	}
	args := []string{"journalctl", "--no-pager", "-q", "-o", "json"}
	for _, u := range units {
		args = append(args, "-u", u)
	}
	switch {
	case lt.cursor != "":
		args = append(args, "--after-cursor", lt.cursor)
	case lt.started:
		// Nothing was logged before: from the first poll on.
		args = append(args, "--since", "@"+strconv.FormatInt(lt.now.Unix(), 10))
	default:
		if !lt.Since.IsZero() {
			args = append(args, "--since", "@"+strconv.FormatInt(lt.Since.Unix(), 10))
		}
		if lt.Last > 0 {
			args = append(args, "-n", strconv.Itoa(lt.Last))
		}
	}
	return sh(args...)
}

// LastLines is the last n of lines, which are in time order.
func LastLines(lines []LogLine, n int) []LogLine {
	if n > 0 && len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}

func (lt *LogTail) journal(out string) []LogLine {
	var lines []LogLine
	for _, l := range strings.Split(out, "\n") {
		var e map[string]any
		if json.Unmarshal([]byte(l), &e) != nil {
			continue
		}
		if c, ok := e["__CURSOR"].(string); ok {
			lt.cursor = c
		}
		msg, ok := e["MESSAGE"].(string)
		if !ok {
			continue
		}
		us, _ := strconv.ParseInt(fmt.Sprint(e["__REALTIME_TIMESTAMP"]), 10, 64)
		unit, _ := e["_SYSTEMD_UNIT"].(string)
		if u, ok := e["UNIT"].(string); ok {
			unit = u
		}
		lines = append(lines, LogLine{Time: time.UnixMicro(us), Host: lt.Host, Component: lt.component(unit, ""), Line: msg})
	}
	return lines
}

func (lt *LogTail) component(unit, file string) string {
	for _, s := range lt.Sources {
		for _, u := range s.Units {
			if u == unit || u+".service" == unit {
				return s.Component
			}
		}
		for _, f := range s.Files {
			if f == file {
				return s.Component
			}
		}
	}
	return strings.TrimSuffix(unit, ".service")
}

// fileCmd prints the file's inode and size, then what follows the last
// offset (the last maxLogRead bytes on the first poll).
func (lt *LogTail) fileCmd(f string) string {
	m, ok := lt.files[f]
	script := `f=$1 inode=$2 off=$3 when=$4; [ -f "$f" ] || exit 3; set -- $(stat -L -c '%i %s' "$f"); echo "$1 $2"
if [ "$1" != "$inode" ] || [ "$2" -lt "$off" ]; then off=-1; fi
if [ "$off" -lt 0 ]; then if [ "$when" = first ]; then tail -c ` + strconv.Itoa(maxLogRead) + ` "$f"; else head -c ` + strconv.Itoa(maxLogRead) + ` "$f"; fi
else tail -c +$((off + 1)) "$f" | head -c ` + strconv.Itoa(maxLogRead) + `; fi`
	first := "first"
	if ok || lt.started {
		first = "again"
	}
	return sh("sh", "-c", script, "sh", f, or(m.inode, "none"), strconv.FormatInt(m.off, 10), first)
}

func (lt *LogTail) file(f, out string) []LogLine {
	head, body, _ := strings.Cut(out, "\n")
	hf := strings.Fields(head)
	if len(hf) != 2 {
		return nil
	}
	size, _ := strconv.ParseInt(hf[1], 10, 64)
	m, known := lt.files[f]
	start := m.off
	if !known || m.inode != hf[0] || size < m.off {
		start = 0
		if !lt.started {
			start = size - int64(len(body))
		}
	}
	// Only whole lines: a line being written is read on the next poll.
	end := strings.LastIndexByte(body, '\n')
	if end < 0 {
		lt.files[f] = fileMark{inode: hf[0], off: start}
		return nil
	}
	body = body[:end]
	lt.files[f] = fileMark{inode: hf[0], off: start + int64(end) + 1}
	comp := lt.component("", f)
	var lines []LogLine
	for _, l := range strings.Split(body, "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		t, ok := ParseLogTime(l, lt.now, lt.loc)
		if !ok {
			t = lt.last[f]
		}
		lt.last[f] = t
		lines = append(lines, LogLine{Time: t, Host: lt.Host, Component: comp, Line: l})
	}
	return lines
}

var (
	isoStamp    = regexp.MustCompile(`\b(\d{4})[-/](\d{2})[-/](\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?`)
	syslogStamp = regexp.MustCompile(`^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}:\d{2}:\d{2})`)
	clfStamp    = regexp.MustCompile(`\[(\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [-+]\d{4})\]`)
)

// ParseLogTime finds the time a log line was written: ISO dates (Jicofo,
// the bridge, nginx's error log), Prosody's "Dec 01 02:03:04" (the year of
// now, or the year before for a date ahead of now), nginx's access log.
// Times without a zone are in loc, the host's.
func ParseLogTime(line string, now time.Time, loc *time.Location) (time.Time, bool) {
	if m := clfStamp.FindStringSubmatch(line); m != nil {
		if t, err := time.Parse("02/Jan/2006:15:04:05 -0700", m[1]); err == nil {
			return t, true
		}
	}
	if m := isoStamp.FindStringSubmatch(line); m != nil && strings.Index(line, m[0]) < 40 {
		if t, err := time.ParseInLocation("2006-01-02 15:04:05", m[1]+"-"+m[2]+"-"+m[3]+" "+m[4], loc); err == nil {
			if m[5] != "" {
				frac, _ := strconv.ParseFloat("0"+m[5], 64)
				t = t.Add(time.Duration(frac * float64(time.Second)))
			}
			return t, true
		}
	}
	if m := syslogStamp.FindStringSubmatch(line); m != nil {
		y := now.In(loc).Year()
		t, err := time.ParseInLocation("2006 Jan 2 15:04:05", fmt.Sprintf("%d %s %s %s", y, m[1], m[2], m[3]), loc)
		if err == nil {
			if t.After(now.Add(24 * time.Hour)) {
				t = t.AddDate(-1, 0, 0)
			}
			return t, true
		}
	}
	return time.Time{}, false
}
