package stacks

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
)

func TestLogRetention(t *testing.T) {
	for _, tc := range []struct {
		days    int
		want    awslogs.RetentionDays
		wantErr bool
	}{
		{days: 1, want: awslogs.RetentionDays_ONE_DAY},
		{days: 30, want: awslogs.RetentionDays_ONE_MONTH},
		{days: 731, want: awslogs.RetentionDays_TWO_YEARS},
		{days: 3653, want: awslogs.RetentionDays_TEN_YEARS},
		{days: 0, wantErr: true},
		{days: 31, wantErr: true},
		{days: 3650, wantErr: true},
	} {
		got, err := LogRetention(tc.days)
		switch {
		case tc.wantErr && (err == nil || !strings.Contains(err.Error(), "one of 1, 3, 5, 7, 14, 30")):
			t.Errorf("LogRetention(%d): got %v, %v; want an error listing the allowed periods", tc.days, got, err)
		case !tc.wantErr && (err != nil || got != tc.want):
			t.Errorf("LogRetention(%d): got %v, %v; want %v", tc.days, got, err, tc.want)
		}
	}
}
