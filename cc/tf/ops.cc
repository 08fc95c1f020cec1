// Op registrations and shape functions. Every op carries the LaplaceRice
// prefix so that it never clashes with tensorflow-compression's ops.
#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace laplace_rice {
namespace {

using tensorflow::shape_inference::InferenceContext;
using tensorflow::shape_inference::ShapeHandle;

// Output shape: the input without its innermost `coding_rank` dimensions.
absl::Status BatchShape(InferenceContext* c) {
  int coding_rank;
  TF_RETURN_IF_ERROR(c->GetAttr("coding_rank", &coding_rank));
  ShapeHandle input;
  TF_RETURN_IF_ERROR(c->WithRankAtLeast(c->input(0), coding_rank, &input));
  if (!c->RankKnown(input)) {
    c->set_output(0, c->UnknownShape());
    return absl::OkStatus();
  }
  ShapeHandle batch;
  TF_RETURN_IF_ERROR(
      c->Subshape(input, 0, c->Rank(input) - coding_rank, &batch));
  c->set_output(0, batch);
  return absl::OkStatus();
}

// strings.shape + code_shape.
absl::Status DecodedShape(InferenceContext* c) {
  ShapeHandle code_shape_vector;
  TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 1, &code_shape_vector));
  ShapeHandle code_shape;
  TF_RETURN_IF_ERROR(c->MakeShapeFromShapeTensor(1, &code_shape));
  ShapeHandle out;
  TF_RETURN_IF_ERROR(c->Concatenate(c->input(0), code_shape, &out));
  c->set_output(0, out);
  return absl::OkStatus();
}

// l1 is a scalar of the data's dtype, so that float64 models keep it exact.
absl::Status BatchShapeWithScalarL1(InferenceContext* c) {
  ShapeHandle l1;
  TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 0, &l1));
  return BatchShape(c);
}

absl::Status PenaltyGradShape(InferenceContext* c) {
  ShapeHandle l1;
  TF_RETURN_IF_ERROR(c->WithRank(c->input(2), 0, &l1));
  c->set_output(0, c->input(0));
  return absl::OkStatus();
}

absl::Status QuantizePenaltyShape(InferenceContext* c) {
  TF_RETURN_IF_ERROR(BatchShapeWithScalarL1(c));
  c->set_output(1, c->output(0));
  c->set_output(0, c->input(0));
  return absl::OkStatus();
}

#define LAPLACE_RICE_CODE_ATTRS                              \
  Attr("run_length_code: int = -1")                          \
      .Attr("magnitude_code: int = 0")                       \
      .Attr("use_run_length_for_non_zeros: bool = false")

#define LAPLACE_RICE_FLOAT_TYPES "T: {half, bfloat16, float, double}"

REGISTER_OP("LaplaceRiceEncode")
    .Input("data: T")
    .Output("strings: string")
    .Attr("T: {int32, float, double}")
    .Attr("coding_rank: int >= 0")
    .LAPLACE_RICE_CODE_ATTRS
    .SetShapeFn(BatchShape)
    .Doc(R"doc(
Encodes each coding unit of `data` (its innermost `coding_rank` dimensions) to
a run-length Rice/Gamma bit string. Floating-point data is rounded half to
even first; NaN, infinities and values outside int32 are rejected.
strings: one string per coding unit, of shape data.shape[:-coding_rank].
)doc");

REGISTER_OP("LaplaceRiceBits")
    .Input("data: T")
    .Output("bits: int64")
    .Attr("T: {int32, float, double}")
    .Attr("coding_rank: int >= 0")
    .LAPLACE_RICE_CODE_ATTRS
    .SetShapeFn(BatchShape)
    .Doc(R"doc(
The exact length in bits (8 times the byte length) of the string that
LaplaceRiceEncode writes for each coding unit, computed without writing it.
)doc");

REGISTER_OP("LaplaceRiceDecode")
    .Input("strings: string")
    .Input("code_shape: Tshape")
    .Output("data: out_type")
    .Attr("Tshape: {int32, int64} = DT_INT32")
    .Attr("out_type: {int32, float, double} = DT_INT32")
    .LAPLACE_RICE_CODE_ATTRS
    .SetShapeFn(DecodedShape)
    .Doc(R"doc(
Decodes strings written by LaplaceRiceEncode. Malformed strings fail with
DataLoss.
data: shape strings.shape + code_shape; the decoded integers, stored as
  out_type (float or double: converted as tf.cast does, without a copy).
)doc");

REGISTER_OP("LaplaceRiceQuantize")
    .Input("x: T")
    .Output("y: T")
    .Attr(LAPLACE_RICE_FLOAT_TYPES)
    .SetShapeFn(tensorflow::shape_inference::UnchangedShape)
    .Doc("Rounds half to even, as tf.round.");

REGISTER_OP("LaplaceRicePenalty")
    .Input("x: T")
    .Input("l1: T")
    .Output("penalty: T")
    .Attr(LAPLACE_RICE_FLOAT_TYPES)
    .Attr("coding_rank: int >= 0")
    .SetShapeFn(BatchShapeWithScalarL1)
    .Doc("l1 * sum(|x|) over the innermost coding_rank dimensions (l1 a scalar).");

REGISTER_OP("LaplaceRicePenaltyGrad")
    .Input("x: T")
    .Input("grad: T")
    .Input("l1: T")
    .Output("dx: T")
    .Attr(LAPLACE_RICE_FLOAT_TYPES)
    .Attr("coding_rank: int >= 0")
    .SetShapeFn(PenaltyGradShape)
    .Doc("l1 * sign(x) * grad, with grad broadcast over each coding unit.");

REGISTER_OP("LaplaceRiceQuantizePenalty")
    .Input("x: T")
    .Input("l1: T")
    .Output("quantized: T")
    .Output("penalty: T")
    .Attr(LAPLACE_RICE_FLOAT_TYPES)
    .Attr("coding_rank: int >= 0")
    .SetShapeFn(QuantizePenaltyShape)
    .Doc("LaplaceRiceQuantize and LaplaceRicePenalty in one pass over x.");

#undef LAPLACE_RICE_CODE_ATTRS
#undef LAPLACE_RICE_FLOAT_TYPES

}  // namespace
}  // namespace laplace_rice
