package invocation

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/fiso-dev/fiso/shared/fault"
)

func TestParseTags(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header string
		want   map[string]string
	}{
		{"none", "", nil},
		{"blank", " \t ", nil},
		{"one", "env=prod", map[string]string{"env": "prod"}},
		{"two, spaced", " env=prod ,\tapp=checkout ", map[string]string{"env": "prod", "app": "checkout"}},
		{"every value character", "k=AZaz09_.:/@+-", map[string]string{"k": "AZaz09_.:/@+-"}},
		{"longest key and value", "a" + strings.Repeat("b", 31) + "=" + strings.Repeat("v", 64), map[string]string{"a" + strings.Repeat("b", 31): strings.Repeat("v", 64)}},
		{"key characters", "a0_.-z=1", map[string]string{"a0_.-z": "1"}},
		{"ten", "a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10", map[string]string{"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6", "g": "7", "h": "8", "i": "9", "j": "10"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTags(tc.header)
			if err != nil {
				t.Fatalf("ParseTags(%q): got error %v, want %v", tc.header, err, tc.want)
			}
			if !maps.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
				t.Errorf("ParseTags(%q) = %v, want %v", tc.header, got, tc.want)
			}
		})
	}
}

func TestParseTagsRejects(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		// says is what the error must contain: the tag at fault and why.
		says []string
	}{
		{"eleven", "a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10,k=11", []string{"at most 10 tags", "11"}},
		{"no value", "env", []string{`tag 1 "env"`, "key=value"}},
		{"empty value", "env=", []string{`"env="`, "value is empty"}},
		{"empty key", "=prod", []string{`"=prod"`, "key is empty"}},
		{"upper-case key", "Env=prod", []string{`"Env=prod"`, "lower-case letter"}},
		{"key starting with a digit", "1env=prod", []string{`"1env=prod"`, "key must"}},
		{"key too long", "a" + strings.Repeat("b", 32) + "=x", []string{"key must", "31"}},
		{"value too long", "k=" + strings.Repeat("v", 65), []string{"value must be 1 to 64"}},
		{"space in value", "app=check out", []string{`"app=check out"`, "value must"}},
		{"equals in value", "a=b=c", []string{`"a=b=c"`, "value must"}},
		{"duplicate key", "env=prod, app=x, env=dev", []string{`tag 3 "env=dev"`, `key "env" is given more than once`}},
		{"trailing comma", "env=prod,", []string{"tag 2 is empty"}},
		{"double comma", "env=prod,,app=x", []string{"tag 2 is empty"}},
		{"non-ASCII", "env=prød", []string{"value must"}},
		{"NUL", "env=a\x00b", []string{`"env=a\x00b"`}},
		{"huge item is cut short", "k=" + strings.Repeat("x", 5000), []string{`"...: the value must`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTags(tc.header)
			if err == nil {
				t.Fatalf("ParseTags(%s) = %v, want an error", tc.name, got)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("ParseTags(%s): got error %q, want it to contain %q", tc.name, err, s)
				}
			}
			if len(err.Error()) > 300 {
				t.Errorf("ParseTags: error of %d bytes, want a short one", len(err.Error()))
			}
		})
	}
}

func TestCheckTags(t *testing.T) {
	if err := CheckTags(nil); err != nil {
		t.Errorf("CheckTags(nil) = %v, want nil", err)
	}
	if err := CheckTags(map[string]string{"env": "prod"}); err != nil {
		t.Errorf("CheckTags(env=prod) = %v, want nil", err)
	}
	many := map[string]string{}
	for i := range MaxTags + 1 {
		many[string(rune('a'+i))] = "x"
	}
	for name, tags := range map[string]map[string]string{
		"too many":  many,
		"bad key":   {"Env": "prod"},
		"bad value": {"env": "a b"},
		"empty":     {"env": ""},
	} {
		if err := CheckTags(tags); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("CheckTags(%s): got %v, want ErrInvalid", name, err)
		}
	}
}

func TestFormatTags(t *testing.T) {
	tags := map[string]string{"env": "prod", "app": "checkout", "a.b": "x:y/z@w+v-u"}
	got := FormatTags(tags)
	if want := "a.b=x:y/z@w+v-u,app=checkout,env=prod"; got != want {
		t.Errorf("FormatTags = %q, want %q", got, want)
	}
	back, err := ParseTags(got)
	if err != nil || !maps.Equal(back, tags) {
		t.Errorf("ParseTags(FormatTags) = %v, %v; want %v", back, err, tags)
	}
	if got := FormatTags(nil); got != "" {
		t.Errorf("FormatTags(nil) = %q, want empty", got)
	}
}

// FuzzParseTags checks that whatever a caller sends, ParseTags either
// rejects it or returns tags a store can count, which format back to the
// same tags.
func FuzzParseTags(f *testing.F) {
	for _, s := range []string{
		"", "env=prod", "env=prod,app=checkout", " env = prod ", "a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10",
		"a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10,k=11", "env=prod,env=dev", "env=prod,", ",", "=", "k==v",
		"Env=prod", "k=" + strings.Repeat("v", 65), "k=\x00", "k=\xff", "k=v\u00a0", "\u00a0k=v", "k=v\u2028",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		tags, err := ParseTags(header)
		if err != nil {
			if tags != nil {
				t.Errorf("ParseTags(%q) = %v with error %v, want no tags", header, tags, err)
			}
			return
		}
		if err := CheckTags(tags); err != nil {
			t.Fatalf("ParseTags(%q) = %v, which CheckTags rejects: %v", header, tags, err)
		}
		if want := len(strings.Split(header, ",")); len(tags) != want && strings.TrimSpace(header) != "" {
			t.Errorf("ParseTags(%q) = %d tags, want %d", header, len(tags), want)
		}
		back, err := ParseTags(FormatTags(tags))
		if err != nil || !maps.Equal(back, tags) {
			t.Errorf("ParseTags(FormatTags(%v)) = %v, %v", tags, back, err)
		}
	})
}
