package catalog

import (
	"context"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/modules/catalog/internal/comments"
)

func (h *handler) ListComments(ctx context.Context, req *catalogv1.ListCommentsRequest) (*catalogv1.ListCommentsResponse, error) {
	id, err := parseTrackID(req.GetTrackId())
	if err != nil {
		return nil, err
	}
	list, enabled, err := h.m.comments.List(ctx, id)
	if err != nil {
		return nil, err
	}
	out, err := h.commentProtos(ctx, list)
	if err != nil {
		return nil, err
	}
	return &catalogv1.ListCommentsResponse{Comments: out, CommentsEnabled: enabled, MaxComments: int32(h.m.comments.Limits().MaxPerTrack)}, nil
}

func (h *handler) AddComment(ctx context.Context, req *catalogv1.AddCommentRequest) (*catalogv1.AddCommentResponse, error) {
	id, err := parseTrackID(req.GetTrackId())
	if err != nil {
		return nil, err
	}
	c, err := h.m.comments.Add(ctx, viewer(ctx), id, req.GetText(), req.GetTimestampMs())
	if err != nil {
		return nil, err
	}
	out, err := h.commentProtos(ctx, []comments.Comment{c})
	if err != nil {
		return nil, err
	}
	return &catalogv1.AddCommentResponse{Comment: out[0]}, nil
}

func (h *handler) EditComment(ctx context.Context, req *catalogv1.EditCommentRequest) (*catalogv1.EditCommentResponse, error) {
	id, err := uuid.Parse(req.GetId())
	if err != nil {
		return nil, ErrInvalidInput.Withf("id is not a comment id")
	}
	c, err := h.m.comments.Edit(ctx, viewer(ctx), id, req.GetText())
	if err != nil {
		return nil, err
	}
	out, err := h.commentProtos(ctx, []comments.Comment{c})
	if err != nil {
		return nil, err
	}
	return &catalogv1.EditCommentResponse{Comment: out[0]}, nil
}

func (h *handler) DeleteComment(ctx context.Context, req *catalogv1.DeleteCommentRequest) (*catalogv1.DeleteCommentResponse, error) {
	id, err := uuid.Parse(req.GetId())
	if err != nil {
		return nil, ErrInvalidInput.Withf("id is not a comment id")
	}
	if err := h.m.comments.Delete(ctx, viewer(ctx), id); err != nil {
		return nil, err
	}
	return &catalogv1.DeleteCommentResponse{}, nil
}

// commentProtos are comments with their authors; why a record failed only for its author.
func (h *handler) commentProtos(ctx context.Context, list []comments.Comment) ([]*catalogv1.Comment, error) {
	dids := make([]string, 0, len(list))
	for _, c := range list {
		dids = append(dids, c.AuthorDID)
	}
	people, err := h.people(ctx, dids)
	if err != nil {
		return nil, err
	}
	me := viewer(ctx)
	out := make([]*catalogv1.Comment, 0, len(list))
	for _, c := range list {
		p := &catalogv1.Comment{
			Id: c.ID.String(), TrackId: c.TrackID.String(), Author: people[c.AuthorDID], Text: c.Text,
			TimestampMs: c.TimestampMs, CreatedAt: timestamppb.New(c.CreatedAt), Record: recordProto(c.Record, me == c.AuthorDID),
		}
		if c.UpdatedAt != nil {
			p.UpdatedAt = timestamppb.New(*c.UpdatedAt)
		}
		out = append(out, p)
	}
	return out, nil
}
