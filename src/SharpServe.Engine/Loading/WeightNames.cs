namespace SharpServe.Engine.Loading;

/// <summary>The tensor roles of a Qwen2 checkpoint, with their names in the two formats we read and write.</summary>
public enum LayerTensor
{
    AttnNorm,
    QWeight,
    QBias,
    KWeight,
    KBias,
    VWeight,
    VBias,
    OWeight,
    FfnNorm,
    GateWeight,
    UpWeight,
    DownWeight,
}

public abstract class WeightNames
{
    public static readonly WeightNames HuggingFace = new HuggingFaceNames();
    public static readonly WeightNames Gguf = new GgufNames();

    public abstract string TokenEmbedding { get; }
    public abstract string FinalNorm { get; }
    public abstract string LmHead { get; }
    public abstract string Layer(int layer, LayerTensor tensor);

    private sealed class HuggingFaceNames : WeightNames
    {
        public override string TokenEmbedding => "model.embed_tokens.weight";
        public override string FinalNorm => "model.norm.weight";
        public override string LmHead => "lm_head.weight";

        public override string Layer(int layer, LayerTensor tensor) => $"model.layers.{layer}." + tensor switch
        {
            LayerTensor.AttnNorm => "input_layernorm.weight",
            LayerTensor.QWeight => "self_attn.q_proj.weight",
            LayerTensor.QBias => "self_attn.q_proj.bias",
            LayerTensor.KWeight => "self_attn.k_proj.weight",
            LayerTensor.KBias => "self_attn.k_proj.bias",
            LayerTensor.VWeight => "self_attn.v_proj.weight",
            LayerTensor.VBias => "self_attn.v_proj.bias",
            LayerTensor.OWeight => "self_attn.o_proj.weight",
            LayerTensor.FfnNorm => "post_attention_layernorm.weight",
            LayerTensor.GateWeight => "mlp.gate_proj.weight",
            LayerTensor.UpWeight => "mlp.up_proj.weight",
            LayerTensor.DownWeight => "mlp.down_proj.weight",
            _ => throw new ArgumentOutOfRangeException(nameof(tensor)),
        };
    }

    private sealed class GgufNames : WeightNames
    {
        public override string TokenEmbedding => "token_embd.weight";
        public override string FinalNorm => "output_norm.weight";
        public override string LmHead => "output.weight";

        public override string Layer(int layer, LayerTensor tensor) => $"blk.{layer}." + tensor switch
        {
            LayerTensor.AttnNorm => "attn_norm.weight",
            LayerTensor.QWeight => "attn_q.weight",
            LayerTensor.QBias => "attn_q.bias",
            LayerTensor.KWeight => "attn_k.weight",
            LayerTensor.KBias => "attn_k.bias",
            LayerTensor.VWeight => "attn_v.weight",
            LayerTensor.VBias => "attn_v.bias",
            LayerTensor.OWeight => "attn_output.weight",
            LayerTensor.FfnNorm => "ffn_norm.weight",
            LayerTensor.GateWeight => "ffn_gate.weight",
            LayerTensor.UpWeight => "ffn_up.weight",
            LayerTensor.DownWeight => "ffn_down.weight",
            _ => throw new ArgumentOutOfRangeException(nameof(tensor)),
        };
    }
}
