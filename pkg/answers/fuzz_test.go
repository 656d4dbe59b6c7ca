package answers

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse feeds arbitrary files to the loader. Nothing may panic, every
// failure is a *Problems naming the file, and whatever loads survives
// Marshal and a second Parse unchanged.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.yaml")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(Template())
	f.Add([]byte(withHost("    <<: &h {port: 2222, user: deploy}\n  - <<: *h\n    address: 203.0.113.11\n    role: videobridge\n")))
	f.Add([]byte(withHost("    sudo_password: ${file:pw}\n    key_file: ~/k\n    port: ${env:P}\n")))
	f.Add([]byte(minimal + "tls: {mode: own, cert_file: cert.pem, key_file: key.pem}\njitsi: {app_secret: ${env:S}, turn: ${env:T}}\n"))

	files := map[string][]byte{"/answers/pw": []byte("pw\n")}
	for _, name := range []string{"cert.pem", "key.pem"} {
		data, err := os.ReadFile("testdata/files/" + name)
		if err != nil {
			f.Fatal(err)
		}
		files["/answers/"+name] = data
	}
	opts := func(extra map[string]string) Options {
		env := map[string]string{"D": "meet.example.com", "P": "2222", "S": "app-secret", "T": "false", "N": "a\nb"}
		for k, v := range extra {
			env[k] = v
		}
		return Options{
			Dir:       "/answers",
			Home:      "/home/op",
			LookupEnv: func(n string) (string, bool) { v, ok := env[n]; return v, ok },
			ReadFile: func(p string) ([]byte, error) {
				if d, ok := files[p]; ok {
					return d, nil
				}
				return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
			},
		}
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data, opts(nil))
		if err != nil {
			var ps *Problems
			if !errors.As(err, &ps) || len(ps.List) == 0 {
				t.Fatalf("error %v is not a list of problems", err)
			}
			for _, p := range ps.List {
				if p.File != "fuzz.yaml" || p.Msg == "" {
					t.Fatalf("incomplete problem %+v", p)
				}
			}
			return
		}
		out, err := Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse("fuzz.yaml", out, opts(SecretEnv(cfg)))
		if err != nil {
			t.Fatalf("Parse(Marshal(cfg)): %v\n%s", err, out)
		}
		if !reflect.DeepEqual(exported(again), exported(cfg)) {
			t.Fatalf("round trip changed the config:\n got %+v\nwant %+v\n%s", exported(again), exported(cfg), out)
		}
	})
}
